package io.fdpass.files;

import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.FileStat;
import io.fdpass.internal.Opens;

/**
 * Linux 5.6+: the kernel keeps the resolution beneath the root ({@code RESOLVE_BENEATH}), refuses magic links
 * ({@code RESOLVE_NO_MAGICLINKS}), absolute symlinks and {@code ..} above the root ({@code EXDEV}) and loops
 * ({@code ELOOP}), atomically, whatever happens to the tree meanwhile.
 *
 * <p>The name is resolved to an {@code O_PATH} descriptor first, which opens nothing: a device is never opened (its
 * driver could act on open) and a FIFO never blocks. Only a regular file is then opened for reading, through
 * {@code /proc/self/fd}, which reaches the same inode without resolving the name again.
 */
final class Openat2Opener implements BeneathOpener {
    static final Openat2Opener INSTANCE = new Openat2Opener();

    static final long RESOLVE = Opens.RESOLVE_BENEATH | Opens.RESOLVE_NO_MAGICLINKS;

    /**
     * The kernel answers EAGAIN when any rename on the system (it checks a global sequence count) ran while it
     * resolved a {@code ..} beneath the root: harmless then, so worth a few more tries before reporting it.
     */
    private static final int MAX_TRIES = 8;

    private Openat2Opener() {
    }

    @Override
    public int open(int rootFd, int procSelfFd, byte[] name, long[] stat) {
        int path = openat2(rootFd, name, Opens.O_PATH | Opens.O_CLOEXEC);
        if (path < 0) {
            return path;
        }
        try {
            int r = FileStat.fstat(path, stat);
            if (r < 0) {
                return r;
            }
            if (!FileStat.isRegular(stat[FileStat.STAT_MODE])) {
                return BeneathOpener.notRegular(stat[FileStat.STAT_MODE]);
            }
            int fd = Opens.reopen(procSelfFd, path, READ_FLAGS);
            if (fd != -Errno.ENOENT) {
                return fd;
            }
            // No /proc (a chroot, a bare container): open the name again and make sure it is still the same file.
            // A device swapped in meanwhile would be opened (O_NONBLOCK, O_NOCTTY) before it is refused.
            fd = openat2(rootFd, name, READ_FLAGS);
            return fd < 0 ? fd : BeneathOpener.checkSameFile(fd, stat, new long[FileStat.STAT_LENGTH]);
        } finally {
            Descriptors.close(path);
        }
    }

    private static int openat2(int rootFd, byte[] name, int flags) {
        int fd;
        int tries = 0;
        do {
            fd = Opens.openat2(rootFd, name, flags, RESOLVE);
        } while (fd == -Errno.EAGAIN && ++tries < MAX_TRIES);
        return fd;
    }

    @Override
    public String toString() {
        return "openat2";
    }
}
