package io.fdpass.server;

import io.fdpass.spi.FdPassSocket;

/**
 * The bound on what one connection's client has not read, in its socket's send queue, checked before each REPLY.
 * Netty cannot wait for room to send a descriptor (it fails the write), so the server must never fill the queue: a
 * REPLY is written only while the queue (its kernel memory, as Linux's SIOCOUTQ counts it), with the writes under way,
 * is under a bound that leaves room for a largest reply in the socket's send buffer. It only measures: the
 * connection's handler holds back while it says no.
 */
final class SendQueueBound {
    /** No bound of the user's: as much as the socket's send buffer holds with room left for a largest reply. */
    static final int AUTO = 0;
    /**
     * Kernel memory one descriptor message or small frame takes in a Unix socket's send queue, rounded up: 768
     * bytes were measured on x86_64 Linux 6.x (277 descriptor messages fill the default 208 KiB send buffer).
     */
    static final int MESSAGE_COST = 1024;

    private final FdPassSocket socket;
    private final int bound;
    /** Estimated send-queue memory of the writes not completed yet. */
    private int pendingCost;
    /** The queue when last asked, and the estimated memory of the writes completed since: an upper bound on it now. */
    private int knownUnread;
    private int writtenSinceKnown;

    /**
     * @param maxUnreadBytes the user's bound, or {@link #AUTO}
     * @param maxNames the most names a REPLY answers
     */
    SendQueueBound(FdPassSocket socket, int maxUnreadBytes, int maxNames) {
        this.socket = socket;
        int sendBuffer = socket.sendBufferSize();
        int room = sendBuffer < 0 ? Integer.MAX_VALUE : sendBuffer - (maxNames + 1) * MESSAGE_COST;
        int wanted = maxUnreadBytes == AUTO ? Integer.MAX_VALUE : maxUnreadBytes;
        bound = Math.max(MESSAGE_COST, Math.min(wanted, room));
    }

    /** The estimated send-queue memory of a REPLY and its descriptor messages. */
    static int cost(int descriptors) {
        return (1 + descriptors) * MESSAGE_COST;
    }

    /**
     * Whether a REPLY may be written now: the queue with the writes under way is under the bound. The queue only
     * shrinks by itself (the client reads), so the last answer plus what was written since bounds it from above: the
     * kernel is asked only when that bound is not good enough.
     */
    boolean hasRoom() {
        if (knownUnread + writtenSinceKnown + pendingCost <= bound) {
            return true;
        }
        observe();
        return knownUnread + pendingCost <= bound;
    }

    /** Asks the kernel what the queue holds. */
    int observe() {
        knownUnread = Math.max(socket.unreadBytes(), 0);
        writtenSinceKnown = 0;
        return knownUnread;
    }

    /** What the queue held when last asked. */
    int knownUnread() {
        return knownUnread;
    }

    void writing(int cost) {
        pendingCost += cost;
    }

    void written(int cost) {
        pendingCost -= cost;
        writtenSinceKnown += cost;
    }
}
