package io.fdpass;

import io.fdpass.codec.FileStatus;

/**
 * Decides whether a peer may have a name opened. A refused name gets {@link FileStatus#PERMISSION_DENIED}; the
 * other names of the request are unaffected. Called on the connection's event loop: keep it fast and non-blocking.
 *
 * <p>It sees only valid names (protocol v1, "Names"): invalid ones are answered {@link FileStatus#INVALID_NAME}
 * before any policy runs.
 *
 * <p>A policy that refuses some peers every name says so in {@link #admits(Peer)}: the server then refuses their
 * connections as they are accepted (HELLO, then ERROR TOO_MANY_CONNECTIONS), so that they hold no connection slot
 * while they stay.
 */
@FunctionalInterface
public interface AccessPolicy {
    /** Every peer that can connect to the socket may have every name. */
    AccessPolicy ALLOW_ALL = (peer, name) -> true;

    /**
     * Whether {@code peer} may have {@code name} opened: false answers it PERMISSION_DENIED, and the request's other
     * names are judged on their own.
     *
     * @param peer the client's credentials, as the kernel recorded them when it connected
     * @param name a valid name, relative to what the server serves
     */
    boolean allows(Peer peer, String name);

    /**
     * Whether {@code peer} may have any name at all: false refuses its connection as it is accepted. Called once per
     * connection, on its event loop. It must be false only for peers that {@link #allows(Peer, String)} refuses
     * every name. By default true: every peer is served, and judged name by name.
     */
    default boolean admits(Peer peer) {
        return true;
    }

    /** A policy that admits only the given user ids (the server's own uid is not implied), at connect already. */
    static AccessPolicy uids(int... uids) {
        return new UidPolicy(uids.clone());
    }
}
