package io.fdpass.server;

import io.fdpass.Peer;
import io.fdpass.internal.SocketCalls;
import io.fdpass.server.ConnectionLimits.Usage;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * The bounds on what one connection's client has not read, checked before each REPLY. Its socket's send queue
 * (SIOCOUTQ, which counts kernel memory) must stay under a bound: Netty cannot wait for room to send a descriptor, it
 * fails the write, so the server must never fill the queue. And its descriptors in flight must fit its share of the
 * {@link DescriptorBudget}: the descriptors reserved for the request about to be answered, plus those written since
 * the queue was last seen to hold none (an upper bound on those the client has not received; on Linux also at most
 * what the queue's memory can hold). Nothing announces that the client read, so timers re-check: while a reply is
 * held back, and while descriptors are counted in flight, until the queue says they are not.
 */
final class SendQueueBound {
    /** No bound of the user's: as much as the socket's send buffer holds with room left for a largest reply. */
    static final int AUTO = 0;
    /**
     * Kernel memory one descriptor message or small frame takes in a Unix socket's send queue, rounded up: 768
     * bytes were measured on x86_64 Linux 6.x (277 descriptor messages fill the default 208 KiB send buffer).
     */
    static final int MESSAGE_COST = 1024;
    /**
     * Waits between re-checks of a connection held back: at first short, since a reading client drains its queue
     * fast; up to 100 ms for one that has stopped reading, so that many such cost little.
     */
    private static final long[] RECHECK_MICROS = {0, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000,
            50_000, 100_000};
    /** Waits between checks of whether descriptors counted in flight were read, in microseconds. */
    private static final long[] SETTLE_MICROS = {1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000};

    private final ChannelHandlerContext ctx;
    private final int socketFd;
    private final int bound;
    private final ServerConfig config;
    private final Peer peer;
    private final Runnable drain;
    /** The connection's uid's usage; null for a connection refused, which sends no descriptor. */
    private final Usage usage;
    /** Estimated send-queue memory of the writes not completed yet. */
    private int pendingCost;
    /** SIOCOUTQ when last asked, and the estimated memory of the writes completed since: an upper bound on it now. */
    private int knownOutq;
    private int writtenSinceOutq;
    /** Descriptors counted in flight for this connection: reserved for answers, or written and maybe unread. */
    private int counted;
    /** Of {@link #counted}, those not written to the socket yet. */
    private int unwritten;
    private boolean retired;
    /** Why the reply held back waits for the budget; null while it waits for the send queue. */
    private String heldFor;
    private ScheduledFuture<?> recheck;
    private int rechecks;
    private ScheduledFuture<?> settle;
    private int settles;
    private ServerEvents.BackpressurePause pause;

    /**
     * @param usage the connection's uid's usage; null for a connection refused
     * @param drain what runs when a re-check is due
     */
    SendQueueBound(ChannelHandlerContext ctx, ServerConfig config, Peer peer, Usage usage, Runnable drain) {
        this.ctx = ctx;
        this.drain = drain;
        this.socketFd = ((UnixChannel) ctx.channel()).fd().intValue();
        this.config = config;
        this.peer = peer;
        this.usage = usage;
        // A descriptor write fails unless the queue is below the send buffer: keep room for a largest reply.
        Integer sendBuffer = ctx.channel().config().getOption(ChannelOption.SO_SNDBUF);
        int room = sendBuffer == null ? Integer.MAX_VALUE
                : sendBuffer - (config.hello().maxNames() + 1) * MESSAGE_COST;
        int wanted = config.maxUnreadBytes() == AUTO ? Integer.MAX_VALUE : config.maxUnreadBytes();
        bound = Math.max(MESSAGE_COST, Math.min(wanted, room));
    }

    /** The estimated send-queue memory of a REPLY and its descriptor messages. */
    static int cost(int descriptors) {
        return (1 + descriptors) * MESSAGE_COST;
    }

    /**
     * Whether a request of {@code names} names may be answered now: the queue, with the writes under way, is under
     * its bound, and as many descriptors fit the budget. If so, they are counted until {@link #answered} says how
     * many were opened.
     */
    boolean mayAnswer(int names) {
        heldFor = null;
        // The queue only shrinks by itself (the client reads), so the last answer plus what was written since
        // bounds it from above: ask the kernel only when that bound is not good enough.
        if (knownOutq + writtenSinceOutq + pendingCost > bound) {
            observe();
            if (knownOutq + pendingCost > bound) {
                return false;
            }
        }
        if (usage == null || retired) {
            return true;
        }
        DescriptorBudget budget = config.budget();
        int share = budget.perConnection();
        if (counted + names > share) {
            observe();
            if (counted + names > share) {
                heldFor = "this connection has " + counted + " descriptors in flight, " + share + " at most";
                return false;
            }
        }
        String full = budget.tryAcquire(usage, names);
        if (full != null && counted > unwritten) {
            observe(); // some of ours may have been read meanwhile
            full = budget.tryAcquire(usage, names);
        }
        if (full != null) {
            heldFor = full;
            return false;
        }
        counted += names;
        unwritten += names;
        return true;
    }

    /** A request of {@code names} was answered with {@code descriptors}: the rest of what was counted is released. */
    void answered(int names, int descriptors) {
        if (usage != null && !retired) {
            uncount(names - descriptors);
        }
    }

    void writing(int cost) {
        pendingCost += cost;
    }

    /**
     * Writes of {@code cost} with {@code descriptors} completed. Which of a failed answer's descriptors reached the
     * socket is not known: all stay counted in flight, an upper bound, until the queue shows them read.
     */
    void written(int cost, int descriptors) {
        pendingCost -= cost;
        writtenSinceOutq += cost;
        if (usage == null || retired) {
            return;
        }
        unwritten -= descriptors;
        if (counted > unwritten && settle == null) {
            scheduleSettle();
        }
    }

    private void uncount(int n) {
        counted -= n;
        unwritten -= n;
        config.budget().release(usage, n);
    }

    /** Asks the kernel what the queue holds, and releases what the answer shows was read. */
    private void observe() {
        int outq = SocketCalls.socketOutq(socketFd);
        knownOutq = Math.max(outq, 0);
        writtenSinceOutq = 0;
        if (usage != null && !retired) {
            int inSocket = counted - unwritten;
            int left = DescriptorBudget.stillInFlight(outq, inSocket);
            counted -= inSocket - left;
            config.budget().release(usage, inSocket - left);
        }
    }

    private void scheduleSettle() {
        long micros = SETTLE_MICROS[Math.min(settles++, SETTLE_MICROS.length - 1)];
        settle = ctx.executor().schedule(() -> {
            settle = null;
            if (retired) {
                return;
            }
            observe();
            if (counted > unwritten) {
                scheduleSettle();
            } else {
                settles = 0;
            }
        }, micros, TimeUnit.MICROSECONDS);
    }

    /** Whether the client has read everything sent so far (or closed, which empties the queue too). */
    boolean isEmpty() {
        return SocketCalls.socketOutq(socketFd) <= 0;
    }

    /** Holds the connection's replies back and runs the drain again later, with a pause counted once. */
    void holdBack() {
        if (rechecks == 0) {
            if (heldFor != null) {
                config.counters().budgetPause();
                config.log().heldBack(peer, heldFor, ctx.executor());
            } else {
                config.counters().backpressurePause();
                ServerEvents.BackpressurePause event = ServerEvents.mayRecord()
                        ? new ServerEvents.BackpressurePause() : null;
                if (event != null && event.isEnabled()) {
                    event.begin();
                    event.peerUid = peer.uid();
                    event.unreadBytes = knownOutq;
                    pause = event;
                }
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

    /**
     * The connection is about to close, its socket still open: what its client has not read yet stays in flight
     * after the close, so the budget takes the socket over until it has; else the uid's count of it ends here.
     */
    void retireBeforeClose() {
        if (retired || usage == null) {
            return;
        }
        observe();
        int inSocket = counted - unwritten;
        uncount(unwritten); // never to be written: the close fails what is still queued in the channel
        retired = true;
        cancel();
        if (inSocket == 0 || !config.budget().retain(socketFd, usage, inSocket, ctx.executor())) {
            config.limits().release(usage);
        }
    }

    /**
     * The connection closed. If it closed without {@link #retireBeforeClose} (Netty closed it, after a failed read or
     * write: its client is gone), nothing of it can be followed any more: its count ends.
     */
    void retire() {
        cancel();
        if (!retired && usage != null) {
            retired = true;
            config.budget().release(usage, counted);
            counted = 0;
            unwritten = 0;
            config.limits().release(usage);
        }
    }

    private void cancel() {
        if (recheck != null) {
            recheck.cancel(false);
            recheck = null;
        }
        if (settle != null) {
            settle.cancel(false);
            settle = null;
        }
    }
}
