package io.fdpass.codec;

import io.fdpass.ErrorCode;
import io.fdpass.FileStatus;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a server did, counted as it happens: thread-safe, a few uncontended additions per request. One instance per
 * server, shared by its connections' handlers; {@link #snapshot()} reads it.
 */
public final class FdPassServerStats {
    private final LongAdder connectionsAccepted = new LongAdder();
    private final LongAdder connectionsOpen = new LongAdder();
    private final LongAdder connectionsRefused = new LongAdder();
    private final LongAdder requestsAnswered = new LongAdder();
    private final LongAdder descriptorsSent = new LongAdder();
    private final LongAdder descriptorsHeld = new LongAdder();
    private final LongAdder namesRefusedByPolicy = new LongAdder();
    private final LongAdder backpressurePauses = new LongAdder();
    private final LongAdder[] entries = adders(FileStatus.values().length);
    private final LongAdder[] errors = adders(ErrorCode.values().length);

    private static LongAdder[] adders(int n) {
        LongAdder[] adders = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            adders[i] = new LongAdder();
        }
        return adders;
    }

    /** A consistent-enough copy of every counter, for logs and dashboards. */
    public record Snapshot(long connectionsAccepted, long connectionsOpen, long connectionsRefused,
            long requestsAnswered, long descriptorsSent, long descriptorsHeld, long namesRefusedByPolicy,
            long backpressurePauses, Map<FileStatus, Long> entries, Map<ErrorCode, Long> errors) {

        public Snapshot {
            entries = Map.copyOf(entries);
            errors = Map.copyOf(errors);
        }

        /** Entries answered with {@code status}. */
        public long entries(FileStatus status) {
            return entries.getOrDefault(status, 0L);
        }

        /** ERRORs sent with {@code code}. */
        public long errors(ErrorCode code) {
            return errors.getOrDefault(code, 0L);
        }

        @Override
        public String toString() {
            return "connections=" + connectionsOpen + " accepted=" + connectionsAccepted + " refused="
                    + connectionsRefused + " requests=" + requestsAnswered + " descriptors=" + descriptorsSent
                    + " held=" + descriptorsHeld + " policyRefused=" + namesRefusedByPolicy + " pauses="
                    + backpressurePauses + " entries=" + entries + " errors=" + errors;
        }
    }

    public Snapshot snapshot() {
        Map<FileStatus, Long> byStatus = new EnumMap<>(FileStatus.class);
        for (FileStatus status : FileStatus.values()) {
            long n = entries[status.ordinal()].sum();
            if (n != 0) {
                byStatus.put(status, n);
            }
        }
        Map<ErrorCode, Long> byCode = new EnumMap<>(ErrorCode.class);
        for (ErrorCode code : ErrorCode.values()) {
            long n = errors[code.ordinal()].sum();
            if (n != 0) {
                byCode.put(code, n);
            }
        }
        return new Snapshot(connectionsAccepted.sum(), connectionsOpen.sum(), connectionsRefused.sum(),
                requestsAnswered.sum(), descriptorsSent.sum(), descriptorsHeld.sum(), namesRefusedByPolicy.sum(),
                backpressurePauses.sum(), byStatus, byCode);
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
        FdPassEvents.ConnectionRefused event = new FdPassEvents.ConnectionRefused();
        if (event.isEnabled()) {
            event.reason = "maxConnections";
            event.connectionsOpen = maxConnections;
            event.commit();
        }
    }

    void entry(FileStatus status) {
        entries[status.ordinal()].increment();
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
        errors[code.ordinal()].increment();
    }

    void backpressurePause() {
        backpressurePauses.increment();
    }
}
