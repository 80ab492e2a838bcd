/**
 * fdpass on Netty's epoll transport (Linux): {@link io.fdpass.epoll.EpollTransport}, found by fdpass through
 * {@link java.util.ServiceLoader} when this module is on the class or module path.
 */
package io.fdpass.epoll;
