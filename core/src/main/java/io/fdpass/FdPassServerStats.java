package io.fdpass;

import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FileStatus;

import java.util.Map;

/**
 * What a server did, counted as it happens by its connections; {@link #snapshot()} reads every counter. Thread-safe:
 * read it from anywhere.
 */
public interface FdPassServerStats {

    /** A consistent-enough copy of every counter, for logs and dashboards. */
    Snapshot snapshot();

    /**
     * @param connectionsAccepted connections that got HELLO
     * @param connectionsOpen connections open now
     * @param connectionsRefused connections closed before HELLO, the server being at its connection limit
     * @param requestsAnswered requests whose REPLY and descriptors were all written
     * @param descriptorsSent descriptors written to clients
     * @param descriptorsHeld descriptors opened and not yet sent or closed
     * @param namesRefusedByPolicy names the access policy refused
     * @param backpressurePauses times a connection's replies were held back for its unread send queue
     * @param entries REPLY entries by status
     * @param errors ERRORs sent by code
     */
    record Snapshot(long connectionsAccepted, long connectionsOpen, long connectionsRefused,
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
}
