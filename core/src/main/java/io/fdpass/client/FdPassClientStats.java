package io.fdpass.client;

import java.util.Map;

/** What a client did, counted as it happens; thread-safe. {@link #snapshot()} reads it. */
public interface FdPassClientStats {
    /** Why a request failed. */
    public enum Failure {
        /** No reply within the request timeout. */
        TIMEOUT,
        /** The connection closed or failed before the reply. */
        CONNECTION_CLOSED,
        /** The server sent ERROR. */
        SERVER_ERROR,
        /** The server broke the protocol; the client closed the connection. */
        PROTOCOL_VIOLATION,
        /** The request broke the server's limits and was not sent. */
        INVALID_REQUEST
    }

    /**
     * The counters at one moment.
     *
     * @param requests requests sent
     * @param replies replies received (including those for requests nobody waited for any more)
     * @param descriptorsReceived descriptors received
     * @param descriptorsHeld received files handed to callers and neither closed nor detached yet
     * @param failures failed requests by cause
     */
    public record Snapshot(long requests, long replies, long descriptorsReceived, long descriptorsHeld,
            Map<Failure, Long> failures) {
        /** A snapshot holding a copy of {@code failures}. */
        public Snapshot {
            failures = Map.copyOf(failures);
        }

        /** Requests failed for {@code cause}; 0 if none. */
        public long failures(Failure cause) {
            return failures.getOrDefault(cause, 0L);
        }

        @Override
        public String toString() {
            return "requests=" + requests + " replies=" + replies + " descriptors=" + descriptorsReceived + " held="
                    + descriptorsHeld + " failures=" + failures;
        }
    }

    /** A consistent-enough copy of every counter. */
    Snapshot snapshot();
}
