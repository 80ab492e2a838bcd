/**
 * fdpass on Netty's io_uring transport (Linux): {@link io.fdpass.iouring.IoUringTransport}, found by fdpass through
 * {@link java.util.ServiceLoader} when this module is on the class or module path.
 */
package io.fdpass.iouring;
