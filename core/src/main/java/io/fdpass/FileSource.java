package io.fdpass;

import io.fdpass.files.BeneathFileSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Turns a requested name into an open descriptor. The default source serves the regular files beneath one root
 * directory ({@link #beneath(Path)}); plug in your own to serve other descriptors.
 *
 * <p>The server calls {@link #open} only for valid names (protocol v1, "Names") that the {@link AccessPolicy}
 * allowed, on an event loop or on the server's open executor, so it must be thread-safe. It must not throw: a
 * failure is a {@link OpenResult#failed(FileStatus) failed} result.
 */
@FunctionalInterface
public interface FileSource extends AutoCloseable {

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

    /**
     * The regular files beneath {@code root} on the root's own mount, opened read-only and never outside it: on
     * Linux with {@code openat2(2)} and {@code RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV},
     * relative to a descriptor of the root taken now. A name that crosses onto another mount beneath the root is
     * answered PERMISSION_DENIED. Close it to release that descriptor.
     *
     * @throws IOException if {@code root} is not a directory that can be opened, or is on a pseudo filesystem
     *         (proc, sysfs...)
     */
    static FileSource beneath(Path root) throws IOException {
        return BeneathFileSource.open(root, false);
    }

    /**
     * {@link #beneath(Path)}, and with {@code allowMounts} the regular files of the other mounts beneath the root
     * too, but never those of a pseudo filesystem (proc, sysfs, cgroup, debugfs... whose files are views of
     * processes and of the kernel), which are answered PERMISSION_DENIED, judged by each file's own filesystem.
     *
     * @throws IOException if {@code root} is not a directory that can be opened, or is on a pseudo filesystem
     */
    static FileSource beneath(Path root, boolean allowMounts) throws IOException {
        return BeneathFileSource.open(root, allowMounts);
    }
}
