package io.fdpass.spi;

import io.fdpass.Peer;
import io.fdpass.codec.FdPassSocketReader;
import io.netty.channel.unix.PeerCredentials;
import io.netty.channel.unix.UnixChannel;

import java.io.IOException;

/**
 * What fdpass does on one connection's Unix socket beyond Netty's channel API: the server reads its peer's
 * credentials, how much its client has not read yet, and drops unread input before it closes; the client's decoder
 * takes exact reads and descriptor messages through its {@link #reader()}. Each transport supplies it for its own
 * channels ({@link FdPassTransport#socket}); tests supply one in memory. On the channel's event loop only.
 */
public interface FdPassSocket {
    /** The credentials the kernel recorded for the process at the other end. */
    Peer peer() throws IOException;

    /**
     * What the peer has not read yet of what was written to the socket, in the kernel's accounting (Linux's SIOCOUTQ
     * counts the memory of each message, macOS's SO_NWRITE bytes); 0 once the peer has read everything or closed;
     * negative if unknown (the socket is closed).
     */
    int unreadBytes();

    /** The socket's send buffer, in bytes; negative if unknown. */
    int sendBufferSize();

    /**
     * Reads and drops what the peer sent and was not read, without waiting: a Unix socket closed with unread input
     * makes its peer's next read fail with ECONNRESET rather than see the end of the stream.
     */
    void discardInput();

    /**
     * Keeps the socket after its channel closes, shut down both ways, so that what its peer has not read can still be
     * followed ({@link UnreadWatch#unreadBytes()}): descriptors in flight count against the sender's limits until the
     * peer reads them or closes. Null if it cannot (no descriptor free, or the socket is closed already).
     */
    UnreadWatch watchUnread();

    /** What a client's decoder reads the socket with beyond Netty's reads. */
    FdPassSocketReader reader();

    /** A socket kept after its channel closed, to follow what its peer has not read. */
    interface UnreadWatch extends AutoCloseable {
        /** As {@link FdPassSocket#unreadBytes()}. */
        int unreadBytes();

        /** Gives the socket up; once. */
        @Override
        void close();
    }

    /** Reads the credentials of a channel's peer, as the transport's channel class does. */
    @FunctionalInterface
    interface Credentials {
        /**
         * The credentials the kernel recorded for the peer when it connected.
         *
         * @throws IOException if the system call fails
         */
        PeerCredentials read() throws IOException;
    }

    /**
     * The socket of a readiness transport's channel (epoll, kqueue), whose descriptor fdpass may read itself between
     * the channel's own reads.
     *
     * @param credentials reads the peer's credentials: typically the channel's {@code peerCredentials()}
     */
    static FdPassSocket unix(UnixChannel channel, Credentials credentials) {
        return new UnixSocket(channel, credentials, unixReader());
    }

    /**
     * The reader of {@link #unix} sockets: each of its calls names the socket, so one serves every channel of a
     * readiness transport (for a {@code FdPassClientCodec} of your own on epoll or kqueue).
     */
    static FdPassSocketReader unixReader() {
        return UnixSocketReader.INSTANCE;
    }
}
