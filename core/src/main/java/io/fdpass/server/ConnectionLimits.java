package io.fdpass.server;

import io.fdpass.AccessPolicy;
import io.fdpass.Peer;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Who may hold a connection: at most {@code maxConnections} in all, at most {@code maxConnectionsPerUid} for one
 * peer uid, and none for a peer that the access policy does not {@link AccessPolicy#admits(Peer) admit}, so that one
 * user cannot take every slot. A connection is judged once its peer's credentials are known, right after HELLO
 * (protocol v1: ERROR TOO_MANY_CONNECTIONS). Shared by a server's connections; thread-safe.
 */
final class ConnectionLimits {
    private final int maxConnections;
    private final int maxPerUid;
    private final AccessPolicy policy;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<Integer, Usage> byUid = new ConcurrentHashMap<>();

    public ConnectionLimits(int maxConnections, int maxConnectionsPerUid, AccessPolicy policy) {
        this.maxConnections = maxConnections;
        this.maxPerUid = maxConnectionsPerUid;
        this.policy = policy;
    }

    /**
     * What one uid holds: its connections (those served, and those closed while their client still had descriptors
     * to read) and its descriptors in flight. An entry lives while it holds any connection.
     */
    static final class Usage {
        final int uid;
        /** Guarded by the map's lock on this uid (compute). */
        int connections;
        final AtomicInteger inFlight = new AtomicInteger();
        /** Descriptors given back so far, ever growing: whether the uid's clients read anything meanwhile. */
        private final AtomicLong givenBack = new AtomicLong();

        Usage(int uid) {
            this.uid = uid;
        }

        /** {@code n} of its descriptors in flight were read, or never sent. */
        void released(int n) {
            inFlight.addAndGet(-n);
            givenBack.addAndGet(n);
        }

        /** How many of its descriptors left the count so far: a mark to tell, later, whether any did since. */
        long givenBack() {
            return givenBack.get();
        }
    }

    /** Why a connection is refused, for counters and the log. */
    enum Refusal {
        POLICY, TOTAL, PER_UID, NO_DESCRIPTOR
    }

    /** A connection admitted ({@code usage}) or refused ({@code refusal}, {@code message}). */
    record Admission(Usage usage, Refusal refusal, String message) {
    }

    /**
     * Judges a new connection; an admitted one counts until {@link #closed} and {@link #release}, which its
     * {@link ConnectionLease} calls, once each.
     */
    Admission admit(Peer peer) {
        if (!policy.admits(peer)) {
            return new Admission(null, Refusal.POLICY, "uid " + Integer.toUnsignedString(peer.uid())
                    + " is not served (the access policy refuses it every name)");
        }
        if (open.incrementAndGet() > maxConnections) {
            open.decrementAndGet();
            return new Admission(null, Refusal.TOTAL, "too many connections: " + maxConnections + " of "
                    + maxConnections + " open");
        }
        Usage[] admitted = new Usage[1];
        int[] held = new int[1];
        byUid.compute(peer.uid(), (uid, u) -> {
            Usage entry = u != null ? u : new Usage(uid);
            held[0] = entry.connections;
            if (entry.connections < maxPerUid) {
                entry.connections++;
                admitted[0] = entry;
            }
            return entry;
        });
        if (admitted[0] == null) {
            open.decrementAndGet();
            return new Admission(null, Refusal.PER_UID, "too many connections: uid "
                    + Integer.toUnsignedString(peer.uid()) + " has " + held[0] + " of " + maxPerUid);
        }
        return new Admission(admitted[0], null, null);
    }

    /** An admitted connection closed: it no longer counts in all. Its uid's count goes on until {@link #release}. */
    void closed() {
        open.decrementAndGet();
    }

    /** An admitted connection no longer counts for its uid: closed, and its client has read or gone. */
    void release(Usage usage) {
        byUid.computeIfPresent(usage.uid, (uid, u) -> --u.connections == 0 ? null : u);
    }

    /** Connections admitted and open now. */
    public int open() {
        return open.get();
    }

    /** How many uids hold a connection now (open, or closed with descriptors unread): for tests. */
    int uidsHolding() {
        return byUid.size();
    }
}
