package io.fdpass;

import java.nio.charset.StandardCharsets;

/**
 * Turns a requested name into an open descriptor. The built-in source serves the regular files beneath one root
 * directory ({@code FileSources.beneath(root)}, in {@code io.fdpass.server}); plug in your own to serve other
 * descriptors, or to wrap the built-in one.
 *
 * <p>The server calls {@link #open} only for valid names (protocol v1, "Names") that the {@link AccessPolicy}
 * allowed, on an event loop or on the server's open executor, so it must be thread-safe. It must not throw: a
 * failure is a {@link OpenResult#failed(FileStatus) failed} result.
 */
@FunctionalInterface
public interface FileSource extends AutoCloseable {

    /**
     * Opens {@code name} for {@code peer}, read-only: an {@link OpenResult#opened opened} descriptor, which the server
     * sends and then closes, or a {@link OpenResult#failed failed} status.
     *
     * @param name a valid name that the access policy allowed
     * @param peer the client it is for
     */
    OpenResult open(String name, Peer peer);

    /**
     * The same for the name as the client sent it: valid UTF-8 (checked before). The server calls this one; a
     * source that works on bytes overrides it and saves decoding the name into a string.
     */
    default OpenResult open(byte[] nameUtf8, Peer peer) {
        return open(new String(nameUtf8, StandardCharsets.UTF_8), peer);
    }

    /**
     * Whether {@link #open} may wait on something slow (a network or FUSE filesystem, a remote service), so that
     * servers run it off the event loop. The default says yes: only a source that knows better says no.
     */
    default boolean mayBlock() {
        return true;
    }

    /** Releases what the source holds. A server closes only the source it made itself from a root path. */
    @Override
    default void close() {
    }
}
