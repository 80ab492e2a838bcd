package io.fdpass.server;

import io.fdpass.server.ConnectionLimits.Usage;
import io.fdpass.spi.FdPassSocket;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * What one served connection holds of the server's limits, and the one owner that gives it back: its uid's
 * connection slot and its place among the connections open ({@link ConnectionLimits}), its descriptors in flight
 * ({@link DescriptorBudget}: reserved for the request being answered, opened and not written yet, written and
 * perhaps not read by its client), and, once the connection has closed with some of those unread, a duplicate of its
 * socket to follow them ({@link FdPassSocket#watchUnread()}): the kernel counts them against the server's user until
 * the client reads them or closes, whether the server's end is open or not. Each is given back once, whatever failed
 * on the way: no descriptor free for the duplicate, a write that failed, a close that came twice.
 *
 * <p>On the connection's event loop, but for {@link #giveBack()}, which the server's close may call from another
 * thread once the connection has closed.
 */
final class ConnectionLease {
    /** Waits between checks of whether descriptors written were read, while the connection is open, in microseconds. */
    private static final long[] SETTLE_MICROS = {1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000};
    /** Waits between checks of a closed connection's socket, in milliseconds: its client may take long, or forever. */
    private static final long[] WATCH_MILLIS = {10, 20, 50, 100, 200, 500, 1000};

    private enum Phase {
        /** The connection is open. */
        OPEN,
        /** Closed with descriptors unread: the socket's duplicate is followed until they are read. */
        WATCHING,
        /** Everything given back. */
        GIVEN_BACK
    }

    private final ConnectionLimits limits;
    private final DescriptorBudget budget;
    private final Usage usage;
    private final FdPassSocket socket;
    private final EventExecutor executor;
    private Phase phase = Phase.OPEN;
    /** Counted for the request being answered, before it is known how many names open. */
    private int reserved;
    /** Opened, not written to the socket yet. */
    private int unwritten;
    /** Written to the socket since it was last seen empty: an upper bound on those its client has not read. */
    private int inSocket;
    private ScheduledFuture<?> check;
    private int checks;
    /** Taken just before the close while descriptors were unread; null before, or when none could be taken. */
    private FdPassSocket.UnreadWatch watch;

    /** @param usage the uid's, as {@link ConnectionLimits#admit} counted the connection for it */
    ConnectionLease(ConnectionLimits limits, DescriptorBudget budget, Usage usage, FdPassSocket socket,
            EventExecutor executor) {
        this.limits = limits;
        this.budget = budget;
        this.usage = usage;
        this.socket = socket;
        this.executor = executor;
    }

    /**
     * Counts {@code names} descriptors in flight for the request about to be answered, if they fit the connection's
     * share and the budget; null if they do, else why not. What was counted stays counted until {@link #opened}.
     */
    DescriptorBudget.Refusal tryReserve(int names) {
        if (inFlight() + names > budget.perConnection()) {
            observe();
            if (inFlight() + names > budget.perConnection()) {
                return DescriptorBudget.Refusal.CONNECTION;
            }
        }
        DescriptorBudget.Refusal refusal = budget.tryAcquire(usage, names);
        if (refusal != null && inSocket > 0) {
            observe(); // some of ours may have been read meanwhile
            refusal = budget.tryAcquire(usage, names);
        }
        if (refusal == null) {
            reserved += names;
        }
        return refusal;
    }

    /** The request of {@code names} reserved was answered with {@code descriptors}: the rest is given back. */
    void opened(int names, int descriptors) {
        if (phase != Phase.OPEN) {
            return; // closed meanwhile: everything it counted was given back then
        }
        reserved -= names;
        unwritten += descriptors;
        budget.release(usage, names - descriptors);
    }

    /**
     * {@code descriptors} opened were written, or their write failed: which of a failed answer's descriptors reached
     * the socket is not known, so all stay counted until the socket shows them read.
     */
    void written(int descriptors) {
        if (phase != Phase.OPEN) {
            return; // closed meanwhile: Netty fails what it had not written
        }
        unwritten -= descriptors;
        inSocket += descriptors;
        if (inSocket > 0 && check == null && phase == Phase.OPEN) {
            scheduleCheck();
        }
    }

    /** Descriptors counted in flight for this connection. */
    int inFlight() {
        return reserved + unwritten + inSocket;
    }

    /** Why {@link #tryReserve} refused, in a line for the log. */
    String describe(DescriptorBudget.Refusal refusal) {
        return budget.describe(refusal, usage, inFlight());
    }

    /** How many of its uid's descriptors left the count so far, for {@link Usage#givenBack()}'s comparisons. */
    long uidGivenBack() {
        return usage.givenBack();
    }

    /** Asks the socket what its client has not read, and gives back the descriptors the answer shows read. */
    private void observe() {
        int stillThere = DescriptorBudget.stillInFlight(socket.unreadBytes(), inSocket);
        budget.release(usage, inSocket - stillThere);
        inSocket = stillThere;
    }

    /**
     * The connection is about to close, its socket still open: if its client has descriptors to read, a duplicate of
     * the socket is taken to follow them after the close.
     */
    void beforeClose() {
        if (phase != Phase.OPEN || watch != null) {
            return;
        }
        observe();
        if (inSocket > 0) {
            watch = socket.watchUnread(); // null with no descriptor free: then nothing can follow them
        }
    }

    /**
     * The connection closed (its channel's close future): what was not written never will be, it leaves the
     * connections open, and the rest is given back now, or once its client has read what the watch follows.
     */
    void closed() {
        if (phase != Phase.OPEN) {
            return;
        }
        cancelCheck();
        budget.release(usage, reserved + unwritten);
        reserved = 0;
        unwritten = 0;
        limits.closed();
        synchronized (this) {
            // The server's close may end the watch from another thread as soon as the budget knows of it.
            if (watch != null && inSocket > 0 && budget.watch(this)) {
                phase = Phase.WATCHING;
                checks = 0;
                scheduleCheck();
                return;
            }
        }
        giveBack();
    }

    private void scheduleCheck() {
        long delay;
        TimeUnit unit;
        if (phase == Phase.OPEN) {
            delay = SETTLE_MICROS[Math.min(checks++, SETTLE_MICROS.length - 1)];
            unit = TimeUnit.MICROSECONDS;
        } else {
            delay = WATCH_MILLIS[Math.min(checks++, WATCH_MILLIS.length - 1)];
            unit = TimeUnit.MILLISECONDS;
        }
        try {
            check = executor.schedule(this::check, delay, unit);
        } catch (RejectedExecutionException e) {
            check = null;
            giveBack(); // the event loop is gone, and with it the server
        }
    }

    private void check() {
        if (phase == Phase.OPEN) {
            check = null;
            observe();
            if (inSocket > 0) {
                scheduleCheck();
            } else {
                checks = 0;
            }
            return;
        }
        synchronized (this) {
            if (phase != Phase.WATCHING) {
                return;
            }
            int stillThere = DescriptorBudget.stillInFlight(watch.unreadBytes(), inSocket);
            budget.release(usage, inSocket - stillThere);
            inSocket = stillThere;
            if (inSocket == 0) {
                giveBack();
            } else {
                scheduleCheck();
            }
        }
    }

    private void cancelCheck() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    /**
     * Gives back everything at once: the descriptors still counted, the socket's duplicate, the uid's slot. Once; for
     * a closed connection (the server's close ends the watches this way).
     */
    synchronized void giveBack() {
        if (phase == Phase.GIVEN_BACK) {
            return;
        }
        phase = Phase.GIVEN_BACK;
        cancelCheck();
        if (watch != null) {
            watch.close();
        }
        budget.release(usage, reserved + unwritten + inSocket);
        reserved = 0;
        unwritten = 0;
        inSocket = 0;
        budget.unwatched(this);
        limits.release(usage);
    }

    /** Whether everything was given back: for tests. */
    synchronized boolean isGivenBack() {
        return phase == Phase.GIVEN_BACK;
    }
}
