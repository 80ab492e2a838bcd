package io.fdpass.spi;

import io.fdpass.Peer;
import io.netty.channel.Channel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;

import java.util.List;

/**
 * A Netty transport that fdpass can run on: Unix domain socket channels that pass descriptors, and the system calls
 * fdpass makes on their sockets beyond Netty's API ({@link #socket}). Transport modules (fdpass-epoll,
 * fdpass-io_uring, fdpass-kqueue) provide one through {@link java.util.ServiceLoader}; servers and clients take the
 * {@link #preferred()} one, unless told which.
 */
public interface FdPassTransport {

    /** A short name for messages and options: {@code "epoll"}, {@code "io_uring"}, {@code "kqueue"}. */
    String name();

    /** Whether this transport's natives load on this platform. */
    boolean isAvailable();

    /** Why {@link #isAvailable()} is false, as Netty reports it; null when available. */
    Throwable unavailabilityCause();

    /** The factory of the transport's I/O handler, for the event loop groups a server or client makes itself. */
    IoHandlerFactory newIoHandlerFactory();

    /** The class of the transport's listening Unix socket channel, for a {@code ServerBootstrap}. */
    Class<? extends ServerChannel> serverChannelClass();

    /** The class of the transport's Unix socket channel, which must read and write Netty's {@code FileDescriptor}. */
    Class<? extends DomainSocketChannel> channelClass();

    /**
     * A server channel, active, on a socket that is already bound and listening (socket activation); it does not
     * own the socket's path.
     *
     * @throws UnsupportedOperationException if the transport cannot
     */
    ServerChannel newServerChannel(int listeningFd);

    /**
     * What fdpass does on {@code channel}'s socket beyond Netty's channel API: typically
     * {@link FdPassSocket#unix FdPassSocket.unix(channel, channel::peerCredentials)}.
     *
     * @param channel a channel of {@link #channelClass()}
     */
    FdPassSocket socket(Channel channel);

    /** This transport, if it is available; else an {@link IllegalStateException} naming Netty's reason in one line. */
    default FdPassTransport ensureAvailable() {
        if (!isAvailable()) {
            throw new IllegalStateException(Transports.whyUnavailable(this), unavailabilityCause());
        }
        return this;
    }

    /**
     * The transport servers and clients use unless told which: the fastest available one, as measured (epoll, then
     * io_uring, then kqueue), then any other on the class or module path.
     *
     * @throws IllegalStateException if none is there or available, saying why
     */
    static FdPassTransport preferred() {
        return Transports.pick();
    }

    /**
     * The transport on the class or module path named {@code name} ({@link #name()}), available or not.
     *
     * @throws IllegalArgumentException if none is, naming those that are
     */
    static FdPassTransport named(String name) {
        return Transports.named(name);
    }

    /** Every transport on the class or module path, available or not, in the order {@link #preferred()} tries them. */
    static List<FdPassTransport> all() {
        return Transports.all();
    }

    /**
     * The transport whose channel {@code channel} is (a connection or a listening channel).
     *
     * @throws IllegalArgumentException if no transport on the class or module path made it
     */
    static FdPassTransport of(Channel channel) {
        return Transports.of(channel);
    }

    /** A {@link Peer} of what Netty reads of a Unix socket's peer: its uid, first gid (-1 if none) and pid. */
    static Peer peerOf(PeerCredentials credentials) {
        int[] gids = credentials.gids();
        return new Peer(credentials.uid(), gids.length > 0 ? gids[0] : -1, credentials.pid());
    }
}
