package io.fdpass.kqueue;

import io.fdpass.spi.FdPassSocket;
import io.fdpass.spi.FdPassTransport;
import io.netty.channel.Channel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.kqueue.KQueue;
import io.netty.channel.kqueue.KQueueDomainSocketChannel;
import io.netty.channel.kqueue.KQueueIoHandler;
import io.netty.channel.kqueue.KQueueServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketChannel;

/** fdpass on Netty's kqueue transport (macOS, BSD). */
public final class KQueueTransport implements FdPassTransport {
    /** The instance {@link java.util.ServiceLoader} finds; any other is equivalent. */
    public static final KQueueTransport INSTANCE = new KQueueTransport();

    /** For {@link java.util.ServiceLoader}. */
    public KQueueTransport() {
    }

    /** For {@link java.util.ServiceLoader} on the module path. */
    public static KQueueTransport provider() {
        return INSTANCE;
    }

    @Override
    public String name() {
        return "kqueue";
    }

    @Override
    public boolean isAvailable() {
        return KQueue.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
        return KQueue.unavailabilityCause();
    }

    @Override
    public IoHandlerFactory newIoHandlerFactory() {
        return KQueueIoHandler.newFactory();
    }

    @Override
    public Class<? extends ServerChannel> serverChannelClass() {
        return KQueueServerDomainSocketChannel.class;
    }

    @Override
    public Class<? extends DomainSocketChannel> channelClass() {
        return KQueueDomainSocketChannel.class;
    }

    /**
     * Unsupported: Netty 4.2's {@code KQueueServerDomainSocketChannel(int)} registers a listening descriptor as
     * inactive, and it has no public constructor that takes one as active.
     */
    @Override
    public ServerChannel newServerChannel(int listeningFd) {
        throw new UnsupportedOperationException("the kqueue transport cannot serve on a handed-over listening "
                + "socket (Netty 4.2's KQueueServerDomainSocketChannel takes it as inactive)");
    }

    @Override
    public FdPassSocket socket(Channel channel) {
        KQueueDomainSocketChannel unix = (KQueueDomainSocketChannel) channel;
        return FdPassSocket.unix(unix, unix::peerCredentials);
    }

    @Override
    public String toString() {
        return "KQueueTransport";
    }
}
