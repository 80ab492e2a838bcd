/**
 * fdpass: hands open, read-only file descriptors to other processes over Unix domain sockets, on Netty.
 * Transports (fdpass-epoll, fdpass-kqueue) plug in through {@link io.fdpass.spi.FdPassTransport}.
 */
module io.fdpass {
    requires transitive io.netty.transport;
    requires transitive io.netty.transport.unix.common;
    requires transitive io.netty.codec;
    requires io.netty.buffer;
    requires io.netty.common;
    requires jdk.jfr;

    exports io.fdpass;
    exports io.fdpass.client;
    exports io.fdpass.codec;
    exports io.fdpass.confinement;
    exports io.fdpass.server;
    exports io.fdpass.spi;

    uses io.fdpass.spi.FdPassTransport;
}
