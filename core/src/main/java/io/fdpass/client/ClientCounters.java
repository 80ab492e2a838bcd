package io.fdpass.client;

import io.fdpass.internal.EnumCounters;

import java.util.concurrent.atomic.LongAdder;

/**
 * A client's counters, written by its connections and its received files; users read it as
 * {@link FdPassClientStats}.
 */
final class ClientCounters implements FdPassClientStats {
    private final LongAdder requests = new LongAdder();
    private final LongAdder replies = new LongAdder();
    private final LongAdder descriptorsReceived = new LongAdder();
    private final LongAdder descriptorsHeld = new LongAdder();
    private final EnumCounters<Failure> failures = new EnumCounters<>(Failure.class);

    @Override
    public Snapshot snapshot() {
        return new Snapshot(requests.sum(), replies.sum(), descriptorsReceived.sum(), descriptorsHeld.sum(),
                failures.snapshot());
    }

    void requestSent() {
        requests.increment();
    }

    void replyReceived(int descriptors) {
        replies.increment();
        descriptorsReceived.add(descriptors);
        descriptorsHeld.add(descriptors);
    }

    /** A received file was closed or detached. */
    public void descriptorReleased() {
        descriptorsHeld.decrement();
    }

    public void failed(Failure cause) {
        failures.increment(cause);
    }
}
