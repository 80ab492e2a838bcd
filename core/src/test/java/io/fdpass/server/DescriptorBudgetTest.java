package io.fdpass.server;

import io.fdpass.AccessPolicy;
import io.fdpass.Peer;
import io.fdpass.internal.Limits;
import io.fdpass.internal.Platform;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The shares of descriptors in flight, from this process's RLIMIT_NOFILE, and what a send queue says is left. */
class DescriptorBudgetTest {
    @Test
    void sharesComeFromTheOpenFileLimitAndAUidOrAConnectionGetsItsOwn() {
        ConnectionLimits limits = new ConnectionLimits(100, 100, AccessPolicy.ALLOW_ALL);
        DescriptorBudget budget = new DescriptorBudget(64, limits);
        long nofile = Limits.openFiles();
        int total = (int) Math.max(64, Math.min(nofile - nofile / 4, 1 << 24));
        assertEquals(total, budget.total());
        int perUid = Math.max(64, total / 4);
        assertEquals(Math.max(64, perUid / 4), budget.perConnection());

        ConnectionLimits.Usage one = limits.admit(new Peer(1, 1, 1)).usage();
        ConnectionLimits.Usage two = limits.admit(new Peer(2, 2, 2)).usage();
        assertNull(budget.tryAcquire(one, perUid));
        assertEquals("uid 1 has " + perUid + " descriptors in flight, " + perUid + " at most",
                budget.tryAcquire(one, 1));
        assertNull(budget.tryAcquire(two, 64), "another uid has its own share");
        assertEquals(perUid + 64, budget.inFlight());
        budget.release(one, perUid);
        budget.release(two, 64);
        assertEquals(0, budget.inFlight());
        assertEquals(0, one.inFlight.get());
    }

    @Test
    void aSendQueueHoldsNoMoreDescriptorsThanItsMemoryAllows() {
        assertEquals(0, DescriptorBudget.stillInFlight(0, 100), "an empty queue: all read");
        assertEquals(0, DescriptorBudget.stillInFlight(-9, 100), "no socket any more");
        if (io.fdpass.internal.Platform.LINUX) {
            // Three descriptor messages take 3 x 768 bytes here: an upper bound counts them at the least they take.
            assertEquals(3 * 768 / DescriptorBudget.MIN_MESSAGE_MEMORY, DescriptorBudget.stillInFlight(3 * 768, 100));
            assertEquals(2, DescriptorBudget.stillInFlight(3 * 768, 2), "never more than were counted");
        }
    }
}
