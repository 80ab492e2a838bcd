package io.fdpass.epoll;

import io.fdpass.spi.FdPassSocket;
import io.fdpass.spi.FdPassTransport;
import io.netty.channel.Channel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketChannel;

/** fdpass on Netty's epoll transport (Linux). */
public final class EpollTransport implements FdPassTransport {
    /** The instance {@link java.util.ServiceLoader} finds; any other is equivalent. */
    public static final EpollTransport INSTANCE = new EpollTransport();

    /** For {@link java.util.ServiceLoader}. */
    public EpollTransport() {
    }

    /** For {@link java.util.ServiceLoader} on the module path. */
    public static EpollTransport provider() {
        return INSTANCE;
    }

    @Override
    public String name() {
        return "epoll";
    }

    @Override
    public boolean isAvailable() {
        return Epoll.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
        Throwable cause = Epoll.unavailabilityCause();
        String nativeModule = nativeModule();
        if (cause != null && EpollTransport.class.getModule().isNamed() && nativeModule != null
                && ModuleLayer.boot().findModule(nativeModule).isEmpty()) {
            // Netty's library sits in a module of its own per architecture, which no module can require.
            IllegalStateException missing = new IllegalStateException("Netty's epoll library is not on the module "
                    + "path: add --add-modules " + nativeModule + " (netty-transport-native-epoll, classifier "
                    + nativeModule.substring("io.netty.transport.epoll.".length()).replace('.', '-') + ")");
            missing.addSuppressed(cause);
            return missing;
        }
        return cause;
    }

    /** The module of Netty's native epoll library for this architecture, or null where Netty ships none. */
    private static String nativeModule() {
        return switch (System.getProperty("os.arch", "")) {
            case "amd64", "x86_64" -> "io.netty.transport.epoll.linux.x86_64";
            case "aarch64" -> "io.netty.transport.epoll.linux.aarch_64";
            case "riscv64" -> "io.netty.transport.epoll.linux.riscv64";
            default -> null;
        };
    }

    @Override
    public IoHandlerFactory newIoHandlerFactory() {
        return EpollIoHandler.newFactory();
    }

    @Override
    public Class<? extends ServerChannel> serverChannelClass() {
        return EpollServerDomainSocketChannel.class;
    }

    @Override
    public Class<? extends DomainSocketChannel> channelClass() {
        return EpollDomainSocketChannel.class;
    }

    @Override
    public ServerChannel newServerChannel(int listeningFd) {
        return new EpollServerDomainSocketChannel(listeningFd, true);
    }

    @Override
    public FdPassSocket socket(Channel channel) {
        EpollDomainSocketChannel unix = (EpollDomainSocketChannel) channel;
        return FdPassSocket.unix(unix, unix::peerCredentials);
    }

    @Override
    public String toString() {
        return "EpollTransport";
    }
}
