/**
 * The transport SPI: what a Netty transport (epoll, kqueue) provides so that fdpass can run on it, found with
 * {@link java.util.ServiceLoader}.
 *
 * <p>The API is 0.x: it may still change between minor versions.
 */
package io.fdpass.spi;
