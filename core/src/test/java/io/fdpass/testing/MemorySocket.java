package io.fdpass.testing;

import io.fdpass.Peer;
import io.fdpass.codec.FdPassSocketReader;
import io.fdpass.spi.FdPassSocket;
import io.netty.channel.Channel;

/**
 * A connection's socket in memory, for a server handler hosted on an {@code EmbeddedChannel}: the test plays the
 * kernel and the client. It says who the peer is, what the client has not read of the send queue (as Linux's
 * SIOCOUTQ counts it: {@link #MESSAGE_MEMORY} per message), the send buffer, and whether a descriptor is free to
 * watch the socket after its close (without one, dup fails with EMFILE); it counts the discards of input and the
 * watches taken and still open. Its client reads everything as it comes until the test says otherwise
 * ({@link #unread(int)}): from then on each message written ({@link #written()}) stays in the queue until
 * {@link #readAll()}. Like a real socket, once its channel has closed it knows nothing ({@code -1}) and gives no
 * watch. A watch used after its close is counted as {@link #misuses()} rather than thrown: the server uses watches
 * inside listeners, where an exception would only be logged. On the channel's event loop (the test's thread).
 */
public final class MemorySocket implements FdPassSocket {
    /** The kernel memory one small message takes in a Unix socket's send queue (768 bytes measured on Linux 6.x). */
    public static final int MESSAGE_MEMORY = 768;
    /** Linux's default send buffer of a Unix stream socket. */
    public static final int DEFAULT_SEND_BUFFER = 212_992;

    private final Peer peer;
    private Channel channel;
    private int unreadBytes;
    private boolean reading = true;
    private int sendBufferSize = DEFAULT_SEND_BUFFER;
    private boolean descriptorFree = true;
    private int discards;
    private int watchesTaken;
    private int watchesOpen;
    private int misuses;

    public MemorySocket(Peer peer) {
        this.peer = peer;
    }

    /** The channel whose socket this is: once it has closed, the socket answers as a closed one does. */
    public void bind(Channel channel) {
        this.channel = channel;
    }

    @Override
    public Peer peer() {
        return peer;
    }

    @Override
    public int unreadBytes() {
        return isClosed() ? -1 : unreadBytes;
    }

    /**
     * The client has {@code messages} messages (frames or descriptors) of the send queue still to read, and reads
     * nothing more until told: what the server writes from now on stays in the queue too.
     */
    public void unread(int messages) {
        unreadBytes = messages * MESSAGE_MEMORY;
        reading = false;
    }

    /**
     * The client reads everything in the queue, and from now on reads each message as it comes; or it closed its
     * end, and the kernel dropped what it had not read.
     */
    public void readAll() {
        unreadBytes = 0;
        reading = true;
    }

    /** The server wrote a message (a frame, a descriptor) to the socket. */
    public void written() {
        if (!reading) {
            unreadBytes += MESSAGE_MEMORY;
        }
    }

    /** What the client has not read, in messages. */
    public int unread() {
        return unreadBytes / MESSAGE_MEMORY;
    }

    @Override
    public int sendBufferSize() {
        return sendBufferSize;
    }

    public MemorySocket sendBufferSize(int bytes) {
        sendBufferSize = bytes;
        return this;
    }

    @Override
    public void discardInput() {
        if (!isClosed()) {
            discards++;
        }
    }

    /** How many times the server dropped the client's unread input, as it does just before it closes. */
    public int discards() {
        return discards;
    }

    /** Whether a descriptor is free for the socket's duplicate: when not, {@link #watchUnread()} fails (EMFILE). */
    public void descriptorFree(boolean free) {
        descriptorFree = free;
    }

    @Override
    public UnreadWatch watchUnread() {
        if (isClosed() || !descriptorFree) {
            return null;
        }
        watchesTaken++;
        watchesOpen++;
        return new Watch();
    }

    /** Watches taken so far. */
    public int watchesTaken() {
        return watchesTaken;
    }

    /** Watches taken and not closed yet. */
    public int watchesOpen() {
        return watchesOpen;
    }

    /** Watches closed twice, or read after their close: 0 unless something gave a watch back twice. */
    public int misuses() {
        return misuses;
    }

    @Override
    public FdPassSocketReader reader() {
        throw new UnsupportedOperationException("a socket in memory has nothing to read beyond its channel");
    }

    private boolean isClosed() {
        return channel != null && !channel.isOpen();
    }

    @Override
    public String toString() {
        return "MemorySocket(" + peer + ", " + unread() + " unread)";
    }

    /** The socket's duplicate: it sees the same send queue, whatever became of the channel. */
    private final class Watch implements UnreadWatch {
        private boolean closed;

        @Override
        public int unreadBytes() {
            if (closed) {
                misuses++;
                return -1;
            }
            return unreadBytes;
        }

        @Override
        public void close() {
            if (closed) {
                misuses++;
                return;
            }
            closed = true;
            watchesOpen--;
        }
    }
}
