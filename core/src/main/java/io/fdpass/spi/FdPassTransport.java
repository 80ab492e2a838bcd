package io.fdpass.spi;

import io.fdpass.Peer;
import io.netty.channel.Channel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;

import java.io.IOException;

/**
 * A Netty transport that fdpass can run on: Unix domain socket channels that pass descriptors. Transport modules
 * provide one through {@link java.util.ServiceLoader}; servers and clients take the first available one, unless told
 * which.
 */
public interface FdPassTransport {

    /** A short name for messages and options: {@code "epoll"}, {@code "kqueue"}. */
    String name();

    /** Whether this transport's natives load on this platform. */
    boolean isAvailable();

    /** Why {@link #isAvailable()} is false, as Netty reports it; null when available. */
    Throwable unavailabilityCause();

    IoHandlerFactory newIoHandlerFactory();

    Class<? extends ServerChannel> serverChannelClass();

    Class<? extends DomainSocketChannel> channelClass();

    /**
     * A server channel, active, on a socket that is already bound and listening (socket activation); it does not
     * own the socket's path.
     *
     * @throws UnsupportedOperationException if the transport cannot
     */
    ServerChannel newServerChannel(int listeningFd);

    /**
     * The credentials the kernel recorded for the process that connected {@code channel}: typically
     * {@link #peerOf(PeerCredentials)} of the channel's {@code peerCredentials()}.
     */
    Peer peer(Channel channel) throws IOException;

    /** A {@link Peer} of what Netty reads of a Unix socket's peer: its uid, first gid (-1 if none) and pid. */
    static Peer peerOf(PeerCredentials credentials) {
        int[] gids = credentials.gids();
        return new Peer(credentials.uid(), gids.length > 0 ? gids[0] : -1, credentials.pid());
    }
}
