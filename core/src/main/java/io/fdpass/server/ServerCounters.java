package io.fdpass.server;

import io.fdpass.Peer;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassError;
import io.fdpass.codec.FileStatus;
import io.fdpass.internal.EnumCounters;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * The server's counters, written by its connections' handlers: thread-safe, a few uncontended additions per
 * request. One instance per server; users read it as {@link FdPassServerStats}.
 */
final class ServerCounters implements FdPassServerStats {
    private final LongAdder connectionsAccepted = new LongAdder();
    private final LongAdder connectionsOpen = new LongAdder();
    private final LongAdder connectionsRefused = new LongAdder();
    private final LongAdder requestsAnswered = new LongAdder();
    private final LongAdder descriptorsSent = new LongAdder();
    private final LongAdder descriptorsHeld = new LongAdder();
    private final LongAdder namesRefusedByPolicy = new LongAdder();
    private final LongAdder backpressurePauses = new LongAdder();
    private final LongAdder budgetPauses = new LongAdder();
    private final EnumCounters<FileStatus> entries = new EnumCounters<>(FileStatus.class);
    private final EnumCounters<ErrorCode> errors = new EnumCounters<>(ErrorCode.class);
    private final IntSupplier descriptorsInFlight;

    /** @param descriptorsInFlight the server's descriptors in flight now ({@link DescriptorBudget#inFlight()}) */
    public ServerCounters(IntSupplier descriptorsInFlight) {
        this.descriptorsInFlight = descriptorsInFlight;
    }

    @Override
    public Snapshot snapshot() {
        return new Snapshot(connectionsAccepted.sum(), connectionsOpen.sum(), connectionsRefused.sum(),
                requestsAnswered.sum(), descriptorsSent.sum(), descriptorsHeld.sum(), descriptorsInFlight.getAsInt(),
                namesRefusedByPolicy.sum(), backpressurePauses.sum(), budgetPauses.sum(), entries.snapshot(),
                errors.snapshot());
    }

    void connectionOpened() {
        connectionsAccepted.increment();
        connectionsOpen.increment();
    }

    void connectionClosed() {
        connectionsOpen.decrement();
    }

    /** A connection refused with ERROR TOO_MANY_CONNECTIONS, as it was accepted. */
    void connectionRefused(ConnectionLimits.Refusal reason, int peerUid, int connectionsOpen) {
        connectionsRefused.increment();
        if (!ServerEvents.mayRecord()) {
            return;
        }
        ServerEvents.ConnectionRefused event = new ServerEvents.ConnectionRefused();
        if (event.isEnabled()) {
            event.reason = reason.name();
            event.peerUid = peerUid;
            event.connectionsOpen = connectionsOpen;
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
        if (n > 0) {
            descriptorsHeld.add(n);
        }
    }

    /** {@code n} descriptors closed, each one written to its client if {@code sent}. */
    void descriptorsDone(int n, boolean sent) {
        if (n > 0) {
            descriptorsHeld.add(-n);
            if (sent) {
                descriptorsSent.add(n);
            }
        }
    }

    void errorSent(FdPassError error, Peer peer) {
        errors.increment(error.errorCode());
        if (!ServerEvents.mayRecord()) {
            return;
        }
        ServerEvents.ErrorSent event = new ServerEvents.ErrorSent();
        if (event.isEnabled()) {
            event.peerUid = peer.uid();
            event.code = error.errorCode().name();
            event.message = error.message();
            event.commit();
        }
    }

    void backpressurePause() {
        backpressurePauses.increment();
    }

    void budgetPause() {
        budgetPauses.increment();
    }
}
