/** fdpass on Netty's io_uring transport (Linux). */
module io.fdpass.iouring {
    requires transitive io.fdpass;
    requires io.netty.common;
    requires io.netty.transport.classes.io_uring;

    exports io.fdpass.iouring;

    provides io.fdpass.spi.FdPassTransport with io.fdpass.iouring.IoUringTransport;
}
