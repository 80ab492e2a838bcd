package io.fdpass.codec;

import io.netty.channel.unix.FileDescriptor;

import java.nio.ByteBuffer;

/**
 * What {@link FdPassResponseDecoder} does with its Unix socket and its descriptors beyond Netty's API, through system
 * calls that Netty lacks: it marks each received descriptor close-on-exec, closes those nobody will take, and, where
 * the platform allows it, reads from the socket itself (the descriptor messages after a REPLY, without switching the
 * channel's read mode, and the frames behind a REPLY's last descriptor, which a read loop at the peer's end of stream
 * would otherwise take in descriptors mode). The decoder reads only on the channel's event loop, the socket's one
 * reader, while the channel is open and auto-reads.
 *
 * <p>The channel's transport supplies it ({@code FdPassTransport.of(channel).socket(channel).reader()}), so that
 * this package holds no system call of its own. A transport whose channel keeps a receive in flight (io_uring) reads
 * nothing itself: its reader says so, and the decoder then takes everything through the channel's own reads.
 */
public interface FdPassSocketReader {
    /** {@link #receiveDescriptor} took nothing: no message there yet, the end of stream, or an error. */
    int NOTHING = -1;
    /** {@link #receiveDescriptor} took a message that did not carry exactly one descriptor, and closed what it did. */
    int NOT_ONE_DESCRIPTOR = Integer.MIN_VALUE;

    /** Whether {@link #receiveDescriptor} works on this platform. */
    boolean receivesDescriptors();

    /**
     * Takes one descriptor message if one is there, without waiting; its descriptor is close-on-exec already.
     *
     * @return the descriptor, {@link #NOTHING} or {@link #NOT_ONE_DESCRIPTOR}
     */
    int receiveDescriptor(int socketFd);

    /** Whether {@link #read} works on this platform. */
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
