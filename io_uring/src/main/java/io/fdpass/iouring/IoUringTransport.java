package io.fdpass.iouring;

import io.fdpass.spi.FdPassSocket;
import io.fdpass.spi.FdPassTransport;
import io.fdpass.spi.ListeningSockets;
import io.netty.channel.Channel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerDomainSocketChannel;

/**
 * fdpass on Netty's io_uring transport (Linux 5.14 and later, as Netty requires). Its channel keeps a receive in
 * flight, and it falls short of what fdpass needs in its descriptor receive and send and in half-closure, so fdpass
 * does those itself on the same socket ({@link FdPassSocket#completionBased}: a client takes descriptor messages at
 * moments when none of the channel's receives is in flight, a server reads and writes its connections), and waits
 * for the socket with polls of its own on the channel's ring ({@link RingReadiness}). docs/PLATFORMS.md, "io_uring",
 * has what Netty 4.2.18's channel does and why.
 */
public final class IoUringTransport implements FdPassTransport {
    /** The instance {@link java.util.ServiceLoader} finds; any other is equivalent. */
    public static final IoUringTransport INSTANCE = new IoUringTransport();

    /** For {@link java.util.ServiceLoader}. */
    public IoUringTransport() {
    }

    /** For {@link java.util.ServiceLoader} on the module path. */
    public static IoUringTransport provider() {
        return INSTANCE;
    }

    @Override
    public String name() {
        return "io_uring";
    }

    @Override
    public boolean isAvailable() {
        return IoUring.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
        Throwable cause = IoUring.unavailabilityCause();
        String nativeModule = nativeModule();
        if (cause != null && IoUringTransport.class.getModule().isNamed() && nativeModule != null
                && ModuleLayer.boot().findModule(nativeModule).isEmpty()) {
            // Netty's library sits in a module of its own per architecture, which no module can require.
            IllegalStateException missing = new IllegalStateException("Netty's io_uring library is not on the module "
                    + "path: add --add-modules " + nativeModule + " (netty-transport-native-io_uring, classifier "
                    + nativeModule.substring("io.netty.transport.io_uring.".length()).replace('.', '-') + ")");
            missing.addSuppressed(cause);
            return missing;
        }
        return cause;
    }

    /** The module of Netty's native io_uring library for this architecture, or null where Netty ships none. */
    private static String nativeModule() {
        return switch (System.getProperty("os.arch", "")) {
            case "amd64", "x86_64" -> "io.netty.transport.io_uring.linux.x86_64";
            case "aarch64" -> "io.netty.transport.io_uring.linux.aarch_64";
            case "riscv64" -> "io.netty.transport.io_uring.linux.riscv64";
            default -> null;
        };
    }

    @Override
    public IoHandlerFactory newIoHandlerFactory() {
        return IoUringIoHandler.newFactory();
    }

    @Override
    public Class<? extends ServerChannel> serverChannelClass() {
        return IoUringServerDomainSocketChannel.class;
    }

    @Override
    public Class<? extends DomainSocketChannel> channelClass() {
        return IoUringDomainSocketChannel.class;
    }

    /**
     * A channel that takes the listening socket as it registers ({@link ListeningSockets#adopt}): Netty 4.2's
     * {@code IoUringServerDomainSocketChannel} has no constructor that takes one.
     */
    @Override
    public ServerChannel newServerChannel(int listeningFd) {
        return ListeningSockets.adopt(new IoUringServerDomainSocketChannel(), listeningFd);
    }

    @Override
    public FdPassSocket socket(Channel channel) {
        IoUringDomainSocketChannel unix = (IoUringDomainSocketChannel) channel;
        return new IoUringSocket(unix, FdPassSocket.completionBased(unix, unix::peerCredentials,
                new RingReadiness(unix)));
    }

    @Override
    public String toString() {
        return "IoUringTransport";
    }
}
