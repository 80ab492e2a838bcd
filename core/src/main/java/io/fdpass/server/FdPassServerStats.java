package io.fdpass.server;

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
     * The counters at one moment.
     *
     * @param connectionsAccepted connections served (admitted within the connection limits)
     * @param connectionsOpen connections served and open now
     * @param connectionsRefused connections refused as they were accepted (HELLO, then ERROR TOO_MANY_CONNECTIONS):
     *        over the limit in all or for their uid, refused every name by the access policy, or accepted with no
     *        descriptor free
     * @param requestsAnswered requests whose REPLY and descriptors were all written
     * @param descriptorsSent descriptors written to clients (those of an answer whose writing failed are not counted,
     *        even the ones that reached the socket before the failure)
     * @param descriptorsHeld descriptors opened and not yet sent or closed
     * @param descriptorsInFlight descriptors sent and maybe not received yet (an upper bound), now
     * @param namesRefusedByPolicy names the access policy refused
     * @param backpressurePauses times a connection's replies were held back for its unread send queue
     * @param budgetPauses times a connection's replies were held back for the bound on descriptors in flight
     * @param entries REPLY entries by status
     * @param errors ERRORs sent by code
     */
    record Snapshot(long connectionsAccepted, long connectionsOpen, long connectionsRefused,
            long requestsAnswered, long descriptorsSent, long descriptorsHeld, long descriptorsInFlight,
            long namesRefusedByPolicy, long backpressurePauses, long budgetPauses, Map<FileStatus, Long> entries,
            Map<ErrorCode, Long> errors) {

        /** A snapshot holding copies of {@code entries} and {@code errors}. */
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
                    + " held=" + descriptorsHeld + " inFlight=" + descriptorsInFlight + " policyRefused="
                    + namesRefusedByPolicy + " pauses=" + backpressurePauses + " budgetPauses=" + budgetPauses
                    + " entries=" + entries + " errors=" + errors;
        }
    }
}
