package io.fdpass.server;

import io.fdpass.FileSource;
import io.fdpass.files.BeneathFileSource;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The server's built-in {@link FileSource}, for a source of yours that wraps it (to log, to count, to serve some
 * names from elsewhere); {@link FdPassServer.Builder#root(Path)} makes one itself.
 */
public final class FileSources {
    private FileSources() {
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
    public static FileSource beneath(Path root) throws IOException {
        return BeneathFileSource.open(root, false);
    }

    /**
     * {@link #beneath(Path)}, and with {@code allowMounts} the regular files of the other mounts beneath the root
     * too, but never those of a pseudo filesystem (proc, sysfs, cgroup, debugfs... whose files are views of
     * processes and of the kernel), which are answered PERMISSION_DENIED, judged by each file's own filesystem.
     *
     * @throws IOException if {@code root} is not a directory that can be opened, or is on a pseudo filesystem
     */
    public static FileSource beneath(Path root, boolean allowMounts) throws IOException {
        return BeneathFileSource.open(root, allowMounts);
    }
}
