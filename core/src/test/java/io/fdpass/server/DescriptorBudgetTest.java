package io.fdpass.server;

import io.fdpass.AccessPolicy;
import io.fdpass.Peer;
import io.fdpass.internal.Limits;
import io.fdpass.internal.Platform;
import io.netty.util.concurrent.Ticker;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shares of descriptors in flight, from this process's RLIMIT_NOFILE, and what a send queue says is left. */
class DescriptorBudgetTest {
    private final ConnectionLimits limits = new ConnectionLimits(100_000, 100_000, AccessPolicy.ALLOW_ALL);
    private final DescriptorBudget budget = new DescriptorBudget(64, Ticker.systemTicker());

    private ConnectionLimits.Usage uid(int uid) {
        return limits.admit(new Peer(uid, uid, uid)).usage();
    }

    @Test
    void sharesComeFromTheOpenFileLimitAndAUidOrAConnectionGetsItsOwn() {
        long nofile = Limits.openFiles();
        int total = (int) Math.max(64, Math.min(nofile - nofile / 4, 1 << 24));
        assertEquals(total, budget.total());
        int shared = Math.max(64, total - total / 4);
        assertEquals(shared, budget.shared());
        int perUid = Math.max(64, shared / 8);
        assertEquals(perUid, budget.perUid());
        assertEquals(Math.max(64, perUid / 4), budget.perConnection());

        ConnectionLimits.Usage one = uid(1);
        ConnectionLimits.Usage two = uid(2);
        assertNull(budget.tryAcquire(one, perUid));
        assertEquals(DescriptorBudget.Refusal.UID, budget.tryAcquire(one, 1));
        assertEquals("uid 1 has " + perUid + " descriptors in flight, " + perUid + " at most",
                budget.describe(DescriptorBudget.Refusal.UID, one, 0));
        assertNull(budget.tryAcquire(two, 64), "another uid has its own share");
        assertEquals(perUid + 64, budget.inFlight());
        budget.release(one, perUid);
        budget.release(two, 64);
        assertEquals(0, budget.inFlight());
        assertEquals(0, one.inFlight.get());
        assertEquals(perUid, one.givenBack(), "what a uid gives back only grows");
    }

    /**
     * Uids whose clients never read, each taking a request's worth at a time until refused, leave a uid with nothing
     * in flight a request's worth until {@link DescriptorBudget#uidsToExhaust()} of them hold what they took.
     */
    @Test
    void nonReadersOfManyUidsLeaveAUidWithNothingInFlightItsReserveUntilAsManyAsTheBoundSays() {
        int bound = budget.uidsToExhaust();
        assertTrue(bound > DescriptorBudget.UIDS_PER_SHARED, "the reserve adds to the shares: " + bound);
        List<ConnectionLimits.Usage> hostile = new ArrayList<>();
        for (int uid = 1000; hostile.size() < bound - 1; uid++) {
            ConnectionLimits.Usage usage = uid(uid);
            while (budget.tryAcquire(usage, 64) == null) {
                // It never reads: everything it takes stays in flight.
            }
            assertTrue(usage.inFlight.get() > 0, () -> "uid " + usage.uid + " got nothing, after " + hostile.size());
            hostile.add(usage);
        }
        ConnectionLimits.Usage innocent = uid(1);
        assertNull(budget.tryAcquire(innocent, 64), "one uid fewer than the bound leaves the reserve's last request");
        assertEquals(DescriptorBudget.Refusal.TOTAL, budget.tryAcquire(innocent, 64),
                "with something in flight, only the shared part is open to it, and it is full");
        budget.release(innocent, 64);

        ConnectionLimits.Usage last = uid(999);
        assertNull(budget.tryAcquire(last, 64), "the bound's last uid takes that request");
        assertEquals(DescriptorBudget.Refusal.TOTAL, budget.tryAcquire(uid(2), 64), "and then nobody gets any");
    }

    @Test
    void aSendQueueHoldsNoMoreDescriptorsThanItsMemoryAllows() {
        assertEquals(0, DescriptorBudget.stillInFlight(0, 100), "an empty queue: all read");
        assertEquals(0, DescriptorBudget.stillInFlight(-9, 100), "no socket any more");
        if (Platform.LINUX) {
            // Three descriptor messages take 3 x 768 bytes here: an upper bound counts them at the least they take.
            assertEquals(3 * 768 / DescriptorBudget.MIN_MESSAGE_MEMORY, DescriptorBudget.stillInFlight(3 * 768, 100));
            assertEquals(2, DescriptorBudget.stillInFlight(3 * 768, 2), "never more than were counted");
        }
    }
}
