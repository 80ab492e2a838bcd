package io.fdpass;

import io.fdpass.codec.FileStatus;

/**
 * Decides whether a peer may have a name opened. A refused name gets {@link FileStatus#PERMISSION_DENIED}; the
 * other names of the request are unaffected. Called on the connection's event loop: keep it fast and non-blocking.
 *
 * <p>It sees only valid names (protocol v1, "Names"): invalid ones are answered {@link FileStatus#INVALID_NAME}
 * before any policy runs.
 */
@FunctionalInterface
public interface AccessPolicy {
    /** Every peer that can connect to the socket may have every name. */
    AccessPolicy ALLOW_ALL = (peer, name) -> true;

    boolean allows(Peer peer, String name);

    /** A policy that admits only the given user ids (the server's own uid is not implied). */
    static AccessPolicy uids(int... uids) {
        int[] copy = uids.clone();
        return (peer, name) -> {
            for (int uid : copy) {
                if (uid == peer.uid()) {
                    return true;
                }
            }
            return false;
        };
    }
}
