/**
 * fdpass on Netty's kqueue transport (macOS, the BSDs): {@link io.fdpass.kqueue.KQueueTransport}, found by fdpass
 * through {@link java.util.ServiceLoader} when this module is on the class or module path.
 */
package io.fdpass.kqueue;
