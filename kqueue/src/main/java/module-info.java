/** fdpass on Netty's kqueue transport (macOS, BSD). */
module io.fdpass.kqueue {
    requires transitive io.fdpass;
    requires io.netty.transport.classes.kqueue;

    exports io.fdpass.kqueue;

    provides io.fdpass.spi.FdPassTransport with io.fdpass.kqueue.KQueueTransport;
}
