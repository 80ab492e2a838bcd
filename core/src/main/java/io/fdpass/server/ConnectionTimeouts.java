package io.fdpass.server;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A connection's two timeouts (protocol v1, TIMED_OUT): a frame begun and not completed within the frame timeout,
 * and a connection with nothing unanswered that has been idle (nothing received, nothing answered) past the idle
 * timeout. Time the server spends not reading the connection (backpressure) is not the client's: a frame's timeout
 * starts again when reading resumes. Each timer is scheduled once per period and re-armed for the time left when it
 * fires, as Netty's {@code IdleStateHandler} does, so that reads and answers only store a time. On the connection's
 * event loop only.
 */
final class ConnectionTimeouts {
    private final EventExecutor executor;
    private final long frameNanos;
    private final long idleNanos;
    private final BooleanSupplier unanswered;
    private final Consumer<String> onTimeout;

    /** When the frame being read began, or 0 while no frame is begun (or the server is not reading). */
    private long frameStart;
    private boolean reading = true;
    private long lastActivity;
    private ScheduledFuture<?> frameTimer;
    private ScheduledFuture<?> idleTimer;
    private boolean done;

    /**
     * @param frameMillis the frame timeout; 0 for none
     * @param idleMillis the idle timeout; 0 for none
     * @param unanswered whether the connection has requests read and not answered
     * @param onTimeout told once, with why, when either passes
     */
    ConnectionTimeouts(EventExecutor executor, long frameMillis, long idleMillis, BooleanSupplier unanswered,
            Consumer<String> onTimeout) {
        this.executor = executor;
        this.frameNanos = TimeUnit.MILLISECONDS.toNanos(frameMillis);
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
        this.unanswered = unanswered;
        this.onTimeout = onTimeout;
        activity();
    }

    /** Something was received or answered: the connection is not idle. */
    void activity() {
        lastActivity = System.nanoTime();
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
            frameStart = 0;
        } else if (frameStart == 0 || framesCompleted) {
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
        frameStart = 0;
        if (on) {
            afterRead(insideFrame, false);
        }
    }

    /** No timeout applies any more (an ERROR is due, or the connection closed). */
    void cancel() {
        done = true;
        if (frameTimer != null) {
            frameTimer.cancel(false);
        }
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
    }

    private void frameCheck() {
        frameTimer = null;
        if (done || frameStart == 0 || !reading) {
            return;
        }
        long left = frameStart + frameNanos - System.nanoTime();
        if (left > 0) {
            frameTimer = executor.schedule(this::frameCheck, left, TimeUnit.NANOSECONDS);
            return;
        }
        timedOut("a frame begun " + TimeUnit.NANOSECONDS.toMillis(frameNanos) + " ms ago is not complete");
    }

    private void idleCheck() {
        idleTimer = null;
        if (done) {
            return;
        }
        long left = lastActivity + idleNanos - System.nanoTime();
        if (left > 0 || unanswered.getAsBoolean() || frameStart != 0) {
            // Requests being answered, or a frame being read, are not idleness: the frame timeout covers the latter.
            idleTimer = executor.schedule(this::idleCheck, left > 0 ? left : idleNanos, TimeUnit.NANOSECONDS);
            return;
        }
        timedOut("idle for " + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms with nothing unanswered");
    }

    private void timedOut(String why) {
        cancel();
        onTimeout.accept(why);
    }
}
