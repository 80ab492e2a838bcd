package io.fdpass;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** What a client did, counted as it happens; thread-safe. {@link #snapshot()} reads it. */
public final class FdPassClientStats {
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

    private final LongAdder requests = new LongAdder();
    private final LongAdder replies = new LongAdder();
    private final LongAdder descriptorsReceived = new LongAdder();
    private final LongAdder descriptorsHeld = new LongAdder();
    private final LongAdder[] failures = new LongAdder[Failure.values().length];

    FdPassClientStats() {
        for (int i = 0; i < failures.length; i++) {
            failures[i] = new LongAdder();
        }
    }

    /**
     * @param requests requests sent
     * @param replies replies received (including those for requests nobody waited for any more)
     * @param descriptorsReceived descriptors received
     * @param descriptorsHeld received files handed to callers and neither closed nor detached yet
     * @param failures failed requests by cause
     */
    public record Snapshot(long requests, long replies, long descriptorsReceived, long descriptorsHeld,
            Map<Failure, Long> failures) {
        public Snapshot {
            failures = Map.copyOf(failures);
        }

        public long failures(Failure cause) {
            return failures.getOrDefault(cause, 0L);
        }

        @Override
        public String toString() {
            return "requests=" + requests + " replies=" + replies + " descriptors=" + descriptorsReceived + " held="
                    + descriptorsHeld + " failures=" + failures;
        }
    }

    public Snapshot snapshot() {
        Map<Failure, Long> byCause = new EnumMap<>(Failure.class);
        for (Failure cause : Failure.values()) {
            long n = failures[cause.ordinal()].sum();
            if (n != 0) {
                byCause.put(cause, n);
            }
        }
        return new Snapshot(requests.sum(), replies.sum(), descriptorsReceived.sum(), descriptorsHeld.sum(), byCause);
    }

    void requestSent() {
        requests.increment();
    }

    void replyReceived(int descriptors) {
        replies.increment();
        descriptorsReceived.add(descriptors);
        descriptorsHeld.add(descriptors);
    }

    void descriptorReleased() {
        descriptorsHeld.decrement();
    }

    void failed(Failure cause) {
        failures[cause.ordinal()].increment();
    }
}
