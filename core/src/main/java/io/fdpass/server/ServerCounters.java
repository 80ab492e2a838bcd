package io.fdpass.server;

import io.fdpass.FdPassServerStats;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FileStatus;
import io.fdpass.internal.EnumCounters;

import java.util.concurrent.atomic.LongAdder;

/**
 * The server's counters, written by its connections' handlers: thread-safe, a few uncontended additions per
 * request. One instance per server; users read it as {@link FdPassServerStats}.
 */
public final class ServerCounters implements FdPassServerStats {
    private final LongAdder connectionsAccepted = new LongAdder();
    private final LongAdder connectionsOpen = new LongAdder();
    private final LongAdder connectionsRefused = new LongAdder();
    private final LongAdder requestsAnswered = new LongAdder();
    private final LongAdder descriptorsSent = new LongAdder();
    private final LongAdder descriptorsHeld = new LongAdder();
    private final LongAdder namesRefusedByPolicy = new LongAdder();
    private final LongAdder backpressurePauses = new LongAdder();
    private final EnumCounters<FileStatus> entries = new EnumCounters<>(FileStatus.class);
    private final EnumCounters<ErrorCode> errors = new EnumCounters<>(ErrorCode.class);

    @Override
    public Snapshot snapshot() {
        return new Snapshot(connectionsAccepted.sum(), connectionsOpen.sum(), connectionsRefused.sum(),
                requestsAnswered.sum(), descriptorsSent.sum(), descriptorsHeld.sum(), namesRefusedByPolicy.sum(),
                backpressurePauses.sum(), entries.snapshot(), errors.snapshot());
    }

    void connectionOpened() {
        connectionsAccepted.increment();
        connectionsOpen.increment();
    }

    void connectionClosed() {
        connectionsOpen.decrement();
    }

    /** A connection closed before HELLO because {@code maxConnections} were open. */
    public void connectionRefused(int maxConnections) {
        connectionsRefused.increment();
        ServerEvents.ConnectionRefused event = new ServerEvents.ConnectionRefused();
        if (event.isEnabled()) {
            event.reason = "maxConnections";
            event.connectionsOpen = maxConnections;
            event.commit();
        }
    }

    void entry(FileStatus status) {
        entries.increment(status);
    }

    void refusedByPolicy() {
        namesRefusedByPolicy.increment();
    }

    void requestAnswered() {
        requestsAnswered.increment();
    }

    void descriptorsOpened(int n) {
        descriptorsHeld.add(n);
    }

    void descriptorDone(boolean sent) {
        descriptorsHeld.decrement();
        if (sent) {
            descriptorsSent.increment();
        }
    }

    void errorSent(ErrorCode code) {
        errors.increment(code);
    }

    void backpressurePause() {
        backpressurePauses.increment();
    }
}
