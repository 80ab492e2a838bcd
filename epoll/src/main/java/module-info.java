/** fdpass on Netty's epoll transport (Linux). */
module io.fdpass.epoll {
    requires transitive io.fdpass;
    requires io.netty.transport.classes.epoll;

    exports io.fdpass.epoll;

    provides io.fdpass.spi.FdPassTransport with io.fdpass.epoll.EpollTransport;
}
