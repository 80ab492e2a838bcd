package io.fdpass.files;

import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.FileStat;
import io.fdpass.internal.Opens;

/**
 * Linux 5.6+, type first (protocol v1, "Opening", way 1): the kernel keeps the resolution beneath the root
 * ({@code RESOLVE_BENEATH}), refuses magic links ({@code RESOLVE_NO_MAGICLINKS}), absolute symlinks and {@code ..}
 * above the root ({@code EXDEV}), loops ({@code ELOOP}) and, unless mounts beneath the root may be crossed, other
 * mounts ({@code RESOLVE_NO_XDEV}), atomically, whatever happens to the tree meanwhile.
 *
 * <p>The name is resolved to an {@code O_PATH} descriptor first, which opens nothing: a device is never opened (its
 * driver could act on open) and a FIFO never blocks. Only a regular file is then opened for reading, through
 * {@code /proc/self/fd}, which reaches the same inode without resolving the name again.
 */
final class Openat2Opener implements BeneathOpener {
    /** What every resolution refuses; {@code RESOLVE_NO_XDEV} joins it where mounts may not be crossed. */
    static final long RESOLVE = Opens.RESOLVE_BENEATH | Opens.RESOLVE_NO_MAGICLINKS;

    /**
     * The kernel answers EAGAIN when any rename on the system (it checks a global sequence count) ran while it
     * resolved a {@code ..} beneath the root: harmless then, so worth a few more tries before reporting it.
     */
    private static final int MAX_TRIES = 8;

    private final boolean allowMounts;
    private final long rootDev;
    private final long rootMount;
    private final long resolve;
    /** Where the kernel's answer is not enough, see {@link #refused}: a walk by the same rules. */
    private final WalkingOpener walk;

    /**
     * @param allowMounts whether names may cross onto other mounts beneath the root (never onto a pseudo filesystem)
     * @param rootDev     the root's {@link FileStat#STAT_DEV}
     * @param rootMount   the root's {@link FileStat#mountId}, or a negative number where the kernel does not say
     */
    Openat2Opener(boolean allowMounts, long rootDev, long rootMount) {
        this.allowMounts = allowMounts;
        this.rootDev = rootDev;
        this.rootMount = rootMount;
        this.resolve = allowMounts ? RESOLVE : RESOLVE | Opens.RESOLVE_NO_XDEV;
        this.walk = new WalkingOpener(true, allowMounts, rootDev);
    }

    @Override
    public int open(int rootFd, int procSelfFd, byte[] name, int length, long[] stat) {
        int path = openat2(rootFd, name, length, Opens.O_PATH | Opens.O_CLOEXEC, resolve);
        if (path < 0) {
            return refused(rootFd, procSelfFd, name, length, path, stat);
        }
        try {
            int r = FileStat.fstat(path, stat);
            if (r < 0) {
                return r;
            }
            if (!FileStat.isRegular(stat[FileStat.STAT_MODE])) {
                return BeneathOpener.notRegular(stat[FileStat.STAT_MODE]);
            }
            // Only a file of another mount can be of another filesystem: a bind mount of the root's shares its device.
            if (allowMounts && stat[FileStat.STAT_DEV] != rootDev && Filesystems.isPseudo(path)) {
                return NOT_SERVED;
            }
            int fd = Opens.reopen(procSelfFd, path, READ_FLAGS);
            if (fd != -Errno.ENOENT) {
                return fd;
            }
            // No /proc (a chroot, a bare container): open the name again and make sure it is still the same file.
            // A device swapped in meanwhile would be opened (O_NONBLOCK, O_NOCTTY) before it is refused.
            fd = openat2(rootFd, name, length, READ_FLAGS, resolve);
            return fd < 0 ? fd : BeneathOpener.checkSameFile(fd, stat, new long[FileStat.STAT_LENGTH]);
        } finally {
            Descriptors.close(path);
        }
    }

    /**
     * The answer for {@code name}, whose resolution failed with {@code error}, where the kernel's errno does not
     * say it all.
     *
     * <p>EXDEV, where mounts may not be crossed: {@code RESOLVE_NO_XDEV} and {@code RESOLVE_BENEATH} both answer
     * it. Without the former, a name that only crossed a mount resolves, one that leaves the root (or meets an
     * absolute symlink) fails EXDEV again. A name that resolves to a file of another mount crossed; one that
     * resolves to a file of the root's own mount went through another mount and back, or the tree changed between
     * the two resolutions (a symlink leading out swapped for a file, say): one walk, which looks at the device of
     * every step, tells.
     *
     * <p>EACCES: procfs answers it when following a magic link of a process that this one may not trace
     * ({@code /proc/1/root}, say), a check that comes before {@code RESOLVE_NO_MAGICLINKS} refuses every magic link
     * with ELOOP; else it is the denied search of a directory. The walk reads each link itself and takes a link
     * whose target cannot be read for a magic link, so it tells the two apart: a magic link is INVALID_NAME
     * (protocol v1, "Names").
     *
     * <p>Both are rare (a name that leaves the root or crosses a mount, one behind a directory the server may not
     * search), so the extra system calls cost nothing that matters.
     */
    private int refused(int rootFd, int procSelfFd, byte[] name, int length, int error, long[] stat) {
        if (error == -Errno.EACCES) {
            return deniedOrMagicLink(rootFd, procSelfFd, name, length);
        }
        if (error != -Errno.EXDEV || allowMounts) {
            return error;
        }
        int across = openat2(rootFd, name, length, Opens.O_PATH | Opens.O_CLOEXEC, RESOLVE);
        if (across < 0) {
            return BeneathOpener.crossedMount(across == -Errno.EACCES ? deniedOrMagicLink(rootFd, procSelfFd, name, length)
                    : across);
        }
        if (!onRootMount(across, stat)) {
            return BeneathOpener.crossedMount(across);
        }
        Descriptors.close(across);
        return walk.open(rootFd, procSelfFd, name, length, stat);
    }

    private int deniedOrMagicLink(int rootFd, int procSelfFd, byte[] name, int length) {
        int r = walk.open(rootFd, procSelfFd, name, length, new long[FileStat.STAT_LENGTH]);
        if (r >= 0) {
            Descriptors.close(r); // the tree changed in between: the kernel's answer stands
        }
        return BeneathOpener.isInvalidName(r) ? r : -Errno.EACCES;
    }

    /** Whether {@code fd} is of the root's mount: by mount id, else (before Linux 5.8) by device. */
    private boolean onRootMount(int fd, long[] stat) {
        if (rootMount >= 0) {
            return FileStat.mountId(fd) == rootMount;
        }
        return FileStat.fstat(fd, stat) == 0 && stat[FileStat.STAT_DEV] == rootDev;
    }

    /** {@code openat2(2)} beneath {@code rootFd}, tried again on the harmless EAGAIN. */
    static int openat2(int rootFd, byte[] name, int length, long flags, long resolve) {
        int fd;
        int tries = 0;
        do {
            fd = Opens.openat2(rootFd, name, length, flags, resolve);
        } while (fd == -Errno.EAGAIN && ++tries < MAX_TRIES);
        return fd;
    }

    @Override
    public String toString() {
        return "openat2, type first";
    }
}
