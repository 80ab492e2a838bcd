package io.fdpass.internal;

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

    static final long RESOLVE = Native.RESOLVE_BENEATH | Native.RESOLVE_NO_MAGICLINKS;

    /**
     * The kernel answers EAGAIN when any rename on the system (it checks a global sequence count) ran while it
     * resolved a {@code ..} beneath the root: harmless then, so worth a few more tries before reporting it.
     */
    private static final int MAX_TRIES = 8;

    private Openat2Opener() {
    }

    @Override
    public int open(int rootFd, int procSelfFd, byte[] name, long[] stat) {
        int path = openat2(rootFd, name, Native.O_PATH | Native.O_CLOEXEC);
        if (path < 0) {
            return path;
        }
        try {
            int r = Native.fstat(path, stat);
            if (r < 0) {
                return r;
            }
            if (!Native.isRegular(stat[Native.STAT_MODE])) {
                return BeneathOpener.notRegular(stat[Native.STAT_MODE]);
            }
            int fd = Native.reopen(procSelfFd, path, READ_FLAGS);
            if (fd != -Native.ENOENT) {
                return fd;
            }
            // No /proc (a chroot, a bare container): open the name again and make sure it is still the same file.
            // A device swapped in meanwhile would be opened (O_NONBLOCK, O_NOCTTY) before it is refused.
            fd = openat2(rootFd, name, READ_FLAGS);
            return fd < 0 ? fd : BeneathOpener.checkSameFile(fd, stat, new long[Native.STAT_LENGTH]);
        } finally {
            Native.close(path);
        }
    }

    private static int openat2(int rootFd, byte[] name, int flags) {
        int fd;
        int tries = 0;
        do {
            fd = Native.openat2(rootFd, name, flags, RESOLVE);
        } while (fd == -Native.EAGAIN && ++tries < MAX_TRIES);
        return fd;
    }

    @Override
    public String toString() {
        return "openat2";
    }
}
