package io.fdpass.codec;

import io.netty.channel.unix.FileDescriptor;

import java.nio.ByteBuffer;

/**
 * What {@link FdPassResponseDecoder} does with its Unix socket and its descriptors beyond Netty's API, through system
 * calls that Netty lacks: it marks each received descriptor close-on-exec, closes those nobody will take, and takes
 * descriptor messages itself, so that each is received as protocol v1 says (close-on-exec, room to see that it
 * carried more than one descriptor, control data that was not truncated). The decoder calls it on the channel's
 * event loop only, while the channel is open, and only while no receive of the channel's own is in flight: between
 * the channel's reads, on a readiness transport (epoll, kqueue); while the pipeline handles a completed receive, or
 * while the decoder holds the channel's reads, on a transport that keeps a receive in flight (io_uring).
 *
 * <p>A readiness transport's reader also reads bytes itself (the frames behind a REPLY's last descriptor, which a read
 * loop at the peer's end of stream would otherwise take in descriptors mode), and leaves descriptor messages that are
 * not there yet to the channel's {@code FILE_DESCRIPTORS} read mode. A transport that keeps a receive in flight reads
 * no bytes itself and never lets the channel read descriptors: its reader waits for descriptor messages
 * ({@link #awaitsReadable()}), and the decoder holds the channel's reads meanwhile.
 *
 * <p>The channel's transport supplies it ({@code FdPassTransport.of(channel).socket(channel).reader()}), so that
 * this package holds no system call of its own.
 */
public interface FdPassSocketReader {
    /** {@link #receiveDescriptor} took nothing: no message there yet. */
    int NOTHING = -1;
    /**
     * {@link #receiveDescriptor} took nothing and will take nothing more: the end of the stream, or an error, which the
     * channel's own read then finds.
     */
    int ENDED = -2;
    /** {@link #receiveDescriptor} took a message that did not carry exactly one descriptor, and closed what it did. */
    int NOT_ONE_DESCRIPTOR = Integer.MIN_VALUE;

    /** Whether {@link #receiveDescriptor} works here (the platform, the transport). */
    boolean receivesDescriptors();

    /**
     * Takes one descriptor message if one is there, without waiting; its descriptor is close-on-exec already.
     *
     * @return the descriptor, {@link #NOTHING}, {@link #ENDED} or {@link #NOT_ONE_DESCRIPTOR}
     */
    int receiveDescriptor(int socketFd);

    /**
     * Whether descriptor messages that are not there yet are waited for with {@link #awaitReadable} rather than taken
     * in the channel's {@code FILE_DESCRIPTORS} read mode: for a channel that keeps a receive in flight, whose own
     * receive of a descriptor message does not hold to protocol v1 (Netty 4.2's io_uring channel: room for one
     * descriptor, no look at truncation, and a descriptor passed on for a message that carried none). False by
     * default.
     */
    default boolean awaitsReadable() {
        return false;
    }

    /**
     * Runs {@code ready} once, on the channel's event loop, when the socket has something to read, has ended or has
     * failed, without reading anything; never if the channel closes first. One wait at a time.
     *
     * @throws UnsupportedOperationException if {@link #awaitsReadable()} is false
     * @throws IllegalStateException if it cannot wait (the channel's event loop shuts down)
     */
    default void awaitReadable(Runnable ready) {
        throw new UnsupportedOperationException("awaitReadable");
    }

    /** Whether {@link #read} works here: never on a channel that keeps a receive in flight. */
    boolean readsBytes();

    /**
     * Reads what is there, without waiting, into {@code dst} (a direct buffer) from its position to its limit.
     *
     * @return the bytes read; 0 or less for none (nothing there yet, the end of stream or an error, which the
     *         channel's own read then finds)
     */
    long read(int socketFd, ByteBuffer dst);

    /** Marks a descriptor that the channel received close-on-exec; 0 or a negative errno. */
    int setCloseOnExec(FileDescriptor fd);

    /** Closes a descriptor that nobody will take; never throws. */
    void close(FileDescriptor fd);
}
