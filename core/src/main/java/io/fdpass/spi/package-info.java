/**
 * The transport SPI: what a Netty transport (epoll, io_uring, kqueue) provides so that fdpass can run on it
 * ({@link io.fdpass.spi.FdPassTransport}, found with {@link java.util.ServiceLoader}), and the system calls fdpass
 * makes on its sockets beyond Netty's channel API ({@link io.fdpass.spi.FdPassSocket}).
 *
 * <p>The API is 0.x: it may still change between minor versions.
 */
package io.fdpass.spi;
