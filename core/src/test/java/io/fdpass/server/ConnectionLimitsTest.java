package io.fdpass.server;

import io.fdpass.AccessPolicy;
import io.fdpass.Peer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Admission by total, by uid and by policy, and when a connection stops counting. */
class ConnectionLimitsTest {
    private static Peer peer(int uid) {
        return new Peer(uid, uid, 1);
    }

    @Test
    void aUidGetsItsShareAndTheTotalBindsEveryone() {
        ConnectionLimits limits = new ConnectionLimits(3, 2, AccessPolicy.ALLOW_ALL);
        ConnectionLimits.Admission a = limits.admit(peer(1));
        ConnectionLimits.Admission b = limits.admit(peer(1));
        assertSame(a.usage(), b.usage(), "one usage per uid");
        ConnectionLimits.Admission c = limits.admit(peer(1));
        assertNull(c.usage());
        assertEquals(ConnectionLimits.Refusal.PER_UID, c.refusal());
        assertEquals("too many connections: uid 1 has 2 of 2", c.message());
        assertEquals(2, limits.open(), "a refused connection does not count");
        ConnectionLimits.Admission d = limits.admit(peer(2));
        ConnectionLimits.Admission e = limits.admit(peer(3));
        assertEquals(ConnectionLimits.Refusal.TOTAL, e.refusal());
        assertEquals("too many connections: 3 of 3 open", e.message());

        // Closed, but counted for its uid until released (its client has descriptors of it to read).
        limits.closed();
        assertEquals(2, limits.open());
        assertEquals(ConnectionLimits.Refusal.PER_UID, limits.admit(peer(1)).refusal());
        limits.release(a.usage());
        ConnectionLimits.Admission f = limits.admit(peer(1));
        assertSame(a.usage(), f.usage());
        limits.closed();
        limits.closed();
        limits.release(b.usage());
        limits.release(f.usage());
        limits.release(d.usage());
        limits.closed();
        assertEquals(0, limits.open());
        ConnectionLimits.Admission g = limits.admit(peer(1));
        assertEquals(1, g.usage().connections, "a fresh entry once the uid held none");
    }

    @Test
    void aPeerThePolicyDoesNotAdmitIsRefusedBeforeAnyCount() {
        ConnectionLimits limits = new ConnectionLimits(1, 1, AccessPolicy.uids(7));
        ConnectionLimits.Admission refused = limits.admit(peer(8));
        assertEquals(ConnectionLimits.Refusal.POLICY, refused.refusal());
        assertEquals("uid 8 is not served (the access policy refuses it every name)", refused.message());
        assertEquals(0, limits.open());
        assertEquals(1, limits.admit(peer(7)).usage().connections);
    }
}
