package io.fdpass.spi;

import io.fdpass.Peer;
import io.fdpass.codec.FdPassSocketReader;
import io.netty.channel.ChannelHandler;
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

    /**
     * A handler for a server to add first to the connection's pipeline, before its codec: it does on the socket what
     * the transport's channel does not do as an fdpass server needs (io_uring: reading, so that a client's half-close
     * is seen as one, and writing, descriptors included); null where the channel does it all (epoll, kqueue). One per
     * channel.
     */
    default ChannelHandler connectionHandler() {
        return null;
    }

    /**
     * What a client's decoder reads the socket with beyond Netty's reads.
     *
     * @throws IllegalStateException if the channel reads in a way that the client's decoder cannot work with (an
     *         io_uring channel reading into a buffer ring, whose receives run past a frame's end)
     */
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
        return new UnixSocket(channel, credentials, unixReader(), null);
    }

    /**
     * The reader of {@link #unix} sockets: each of its calls names the socket, so one serves every channel of a
     * readiness transport (for a {@code FdPassClientCodec} of your own on epoll or kqueue).
     */
    static FdPassSocketReader unixReader() {
        return UnixSocketReader.INSTANCE;
    }

    /**
     * The socket of a channel whose transport keeps a receive in flight (io_uring): the channel submits its next
     * receive as soon as its pipeline has handled the last, and that receive waits in the kernel for what comes. So
     * a client's decoder reads no bytes from it, and takes descriptor messages itself only while nothing of the
     * channel's is in flight: while the pipeline handles a completed receive, or once {@code readiness} says that
     * the socket is readable while the client's codec holds the channel's reads. A server's connection is read and
     * written by its {@link #connectionHandler()}, which never lets the channel read. The rest is as
     * {@link #unix}'s.
     *
     * @param credentials reads the peer's credentials: typically the channel's {@code peerCredentials()}
     * @param readiness tells what the socket is ready for, without reading or writing: one per channel
     */
    static FdPassSocket completionBased(UnixChannel channel, Credentials credentials, Readiness readiness) {
        return new UnixSocket(channel, credentials, new AwaitingSocketReader(readiness), readiness);
    }

    /**
     * How a transport that keeps a receive in flight tells what its channel's socket is ready for, without reading or
     * writing (io_uring: a poll of its own on the channel's ring), for {@link #completionBased}. On the channel's
     * event loop; each kind of wait one at a time.
     */
    interface Readiness {
        /**
         * Runs {@code ready} once, on the channel's event loop, when the socket has something to read, has ended or
         * has failed; never if the channel closes first.
         *
         * @throws IllegalStateException if it cannot wait (the event loop shuts down)
         */
        void awaitReadable(Runnable ready);

        /** As {@link #awaitReadable}, for room to write (or the socket's failure). */
        void awaitWritable(Runnable ready);

        /** As {@link #awaitReadable}, for the peer's shutdown of its output ({@code POLLRDHUP}), or a failure. */
        void awaitInputShutdown(Runnable ready);
    }
}
