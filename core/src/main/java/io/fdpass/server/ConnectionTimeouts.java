package io.fdpass.server;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;

import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * A connection's three timeouts (ERROR TIMED_OUT): a frame begun and not completed within the frame timeout; a
 * connection with nothing unanswered that has been idle (nothing received, nothing answered) past the idle timeout;
 * and a connection held back because of its own client (it has not read what it was sent, or its connection's or its
 * uid's share of descriptors in flight is used up) whose client read nothing within the stall timeout. Time the
 * server spends not reading the connection is not the client's: a frame's timeout starts again when reading
 * resumes. Each timer is scheduled once per period and re-armed for the time left when it fires, as Netty's
 * {@code IdleStateHandler} does, so that reads and answers only store a time; time is the executor's
 * {@link Ticker}'s. On the connection's event loop only.
 */
final class ConnectionTimeouts {
    /** Which timeout passed. */
    enum Kind {
        FRAME, IDLE, STALL
    }

    private final EventExecutor executor;
    private final Ticker ticker;
    private final long frameNanos;
    private final long idleNanos;
    private final long stallNanos;
    private final BooleanSupplier unanswered;
    private final BiConsumer<Kind, String> onTimeout;

    /** Whether a frame is begun and being read, and when it began; a tick may be 0, so no time marks "none". */
    private boolean inFrame;
    private long frameStart;
    private boolean reading = true;
    private long lastActivity;
    /** Whether the connection is held back by its client, and when the client last read something meanwhile. */
    private boolean stalled;
    private long stallStart;
    /** What the client had read when it last did, while held back: see {@link #heldBack}. */
    private long stallMark;
    private ScheduledFuture<?> frameTimer;
    private ScheduledFuture<?> idleTimer;
    private ScheduledFuture<?> stallTimer;
    private boolean done;

    /**
     * @param frameMillis the frame timeout; 0 for none
     * @param idleMillis the idle timeout; 0 for none
     * @param stallMillis the stall timeout; 0 for none
     * @param unanswered whether the connection has requests read and not answered
     * @param onTimeout told once, which and why, when any passes
     */
    ConnectionTimeouts(EventExecutor executor, long frameMillis, long idleMillis, long stallMillis,
            BooleanSupplier unanswered, BiConsumer<Kind, String> onTimeout) {
        this.executor = executor;
        this.ticker = executor.ticker();
        this.frameNanos = TimeUnit.MILLISECONDS.toNanos(frameMillis);
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
        this.stallNanos = TimeUnit.MILLISECONDS.toNanos(stallMillis);
        this.unanswered = unanswered;
        this.onTimeout = onTimeout;
        activity();
    }

    /** Something was received or answered: the connection is not idle. */
    void activity() {
        lastActivity = ticker.nanoTime();
        if (idleNanos > 0 && idleTimer == null && !done) {
            idleTimer = executor.schedule(this::idleCheck, idleNanos, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * A read is done.
     *
     * @param insideFrame whether a frame is begun and not complete
     * @param framesCompleted whether the read completed a frame (then a frame still begun is a new one)
     */
    void afterRead(boolean insideFrame, boolean framesCompleted) {
        activity();
        if (!insideFrame) {
            inFrame = false;
        } else if (!inFrame || framesCompleted) {
            inFrame = true;
            frameStart = lastActivity;
            if (frameNanos > 0 && frameTimer == null && reading && !done) {
                frameTimer = executor.schedule(this::frameCheck, frameNanos, TimeUnit.NANOSECONDS);
            }
        }
    }

    /** The server stops or resumes reading the connection: a frame begun has its full timeout again on resuming. */
    void reading(boolean on, boolean insideFrame) {
        if (reading == on) {
            return;
        }
        reading = on;
        inFrame = false;
        if (on) {
            afterRead(insideFrame, false);
        }
    }

    /**
     * The connection is held back because of its own client; {@code mark} grows whenever that client reads (what
     * its uid had given back, less what its socket holds unread). The stall clock starts, or starts again if the
     * client read something since it last ran.
     */
    void heldBack(long mark) {
        if (stallNanos == 0 || done) {
            return;
        }
        if (!stalled || mark > stallMark) {
            stalled = true;
            stallStart = ticker.nanoTime();
            stallMark = mark;
        }
        if (stallTimer == null) {
            stallTimer = executor.schedule(this::stallCheck, stallNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** The connection is not held back by its client any more: the stall clock stops. */
    void notHeldBack() {
        stalled = false;
    }

    /** No timeout applies any more (an ERROR is due, or the connection closed). */
    void cancel() {
        done = true;
        for (ScheduledFuture<?> timer : new ScheduledFuture<?>[] {frameTimer, idleTimer, stallTimer}) {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }

    private void frameCheck() {
        frameTimer = null;
        if (done || !inFrame || !reading) {
            return;
        }
        long left = frameStart + frameNanos - ticker.nanoTime();
        if (left > 0) {
            frameTimer = executor.schedule(this::frameCheck, left, TimeUnit.NANOSECONDS);
            return;
        }
        timedOut(Kind.FRAME, "a frame begun " + TimeUnit.NANOSECONDS.toMillis(frameNanos)
                + " ms ago is not complete");
    }

    private void idleCheck() {
        idleTimer = null;
        if (done) {
            return;
        }
        long left = lastActivity + idleNanos - ticker.nanoTime();
        if (left > 0 || unanswered.getAsBoolean() || inFrame) {
            // Requests being answered, or a frame being read, are not idleness: the frame timeout covers the latter.
            idleTimer = executor.schedule(this::idleCheck, left > 0 ? left : idleNanos, TimeUnit.NANOSECONDS);
            return;
        }
        timedOut(Kind.IDLE, "idle for " + TimeUnit.NANOSECONDS.toMillis(idleNanos)
                + " ms with nothing unanswered");
    }

    private void stallCheck() {
        stallTimer = null;
        if (done || !stalled) {
            return;
        }
        long left = stallStart + stallNanos - ticker.nanoTime();
        if (left > 0) {
            stallTimer = executor.schedule(this::stallCheck, left, TimeUnit.NANOSECONDS);
            return;
        }
        timedOut(Kind.STALL, "held back for " + TimeUnit.NANOSECONDS.toMillis(stallNanos)
                + " ms: its clients read nothing of what they were sent");
    }

    private void timedOut(Kind kind, String why) {
        cancel();
        onTimeout.accept(kind, why);
    }
}
