package io.fdpass.server;

import io.fdpass.Peer;
import io.fdpass.internal.SocketCalls;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * The bound on one connection's send queue: no REPLY is written while the socket's send queue (SIOCOUTQ, which
 * counts kernel memory) holds more than the bound. Netty cannot wait for room to send a descriptor, it fails the
 * write, so the server must never fill the queue. Nothing announces that the client read, so a timer re-checks.
 */
final class SendQueueBound {
    /** No bound of the user's: as much as the socket's send buffer holds with room left for a largest reply. */
    static final int AUTO = 0;
    /**
     * Kernel memory one descriptor message or small frame takes in a Unix socket's send queue, rounded up: 768
     * bytes were measured on x86_64 Linux 6.x (277 descriptor messages fill the default 208 KiB send buffer).
     */
    static final int MESSAGE_COST = 1024;
    /** Waits between re-checks of a full send queue: at first short, since a reading client drains it fast. */
    private static final long[] RECHECK_MICROS = {0, 20, 50, 100, 200, 500, 1000};

    private final ChannelHandlerContext ctx;
    private final int socketFd;
    private final int bound;
    private final ServerCounters counters;
    private final Peer peer;
    private final Runnable drain;
    /** Estimated send-queue memory of the writes not completed yet. */
    private int pendingCost;
    /** SIOCOUTQ when last asked, and the estimated memory of the writes completed since: an upper bound on it now. */
    private int knownOutq;
    private int writtenSinceOutq;
    private ScheduledFuture<?> recheck;
    private int rechecks;
    private ServerEvents.BackpressurePause pause;

    /**
     * @param maxUnreadBytes the user's bound, or {@link #AUTO}
     * @param drain what runs when a re-check is due
     */
    SendQueueBound(ChannelHandlerContext ctx, int maxNames, int maxUnreadBytes, ServerCounters counters, Peer peer,
            Runnable drain) {
        this.ctx = ctx;
        this.drain = drain;
        this.socketFd = ((UnixChannel) ctx.channel()).fd().intValue();
        this.counters = counters;
        this.peer = peer;
        // A descriptor write fails unless the queue is below the send buffer: keep room for a largest reply.
        Integer sendBuffer = ctx.channel().config().getOption(ChannelOption.SO_SNDBUF);
        int room = sendBuffer == null ? Integer.MAX_VALUE : sendBuffer - (maxNames + 1) * MESSAGE_COST;
        int wanted = maxUnreadBytes == AUTO ? Integer.MAX_VALUE : maxUnreadBytes;
        bound = Math.max(MESSAGE_COST, Math.min(wanted, room));
    }

    /** The estimated send-queue memory of a REPLY and its descriptor messages. */
    static int cost(int descriptors) {
        return (1 + descriptors) * MESSAGE_COST;
    }

    void writing(int cost) {
        pendingCost += cost;
    }

    void written(int cost) {
        pendingCost -= cost;
        writtenSinceOutq += cost;
    }

    /** Whether the queue, with the writes under way, is over the bound. */
    boolean isOver() {
        // The queue only shrinks by itself (the client reads), so the last answer plus what was written since
        // bounds it from above: ask the kernel only when that bound is not good enough.
        if (knownOutq + writtenSinceOutq + pendingCost <= bound) {
            return false;
        }
        knownOutq = Math.max(SocketCalls.socketOutq(socketFd), 0);
        writtenSinceOutq = 0;
        return knownOutq + pendingCost > bound;
    }

    /** Whether the client has read everything sent so far (or closed, which empties the queue too). */
    boolean isEmpty() {
        return SocketCalls.socketOutq(socketFd) <= 0;
    }

    /** Holds the connection's replies back and runs the drain again later, with a pause counted once. */
    void holdBack() {
        if (rechecks == 0) {
            counters.backpressurePause();
            ServerEvents.BackpressurePause event = new ServerEvents.BackpressurePause();
            if (event.isEnabled()) {
                event.begin();
                event.peerUid = peer.uid();
                event.unreadBytes = knownOutq;
                pause = event;
            }
        }
        if (recheck == null) {
            long micros = RECHECK_MICROS[Math.min(rechecks++, RECHECK_MICROS.length - 1)];
            recheck = ctx.executor().schedule(() -> {
                recheck = null;
                drain.run();
            }, micros, TimeUnit.MICROSECONDS);
        }
    }

    /** The queue is below the bound again: a pause under way ends. */
    void release() {
        if (rechecks != 0) {
            rechecks = 0;
            if (pause != null) {
                pause.commit();
                pause = null;
            }
        }
    }

    void cancel() {
        if (recheck != null) {
            recheck.cancel(false);
        }
    }
}
