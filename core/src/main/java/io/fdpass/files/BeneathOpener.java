package io.fdpass.files;

import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.FileStat;
import io.fdpass.internal.Opens;

/**
 * Opens a name for reading without leaving a root directory. The seam between {@link BeneathFileSource}, which
 * maps results to statuses, and the ways of confining a resolution, which differ by platform.
 *
 * <p>Implementations are made for one root (its device, whether mounts beneath it may be crossed), keep no state
 * between calls and are thread-safe, never throw for a failure of the name, and never leave a descriptor of their
 * own open, whatever the result.
 */
interface BeneathOpener {
    /** How a regular file is opened for a client (protocol v1, "Opening"). */
    int READ_FLAGS = Opens.O_RDONLY | Opens.O_CLOEXEC | Opens.O_NOCTTY | Opens.O_NONBLOCK;

    /**
     * Opens {@code name} beneath {@code rootFd}, for reading, if it is a regular file.
     *
     * @param rootFd a descriptor of the root directory ({@code O_PATH} will do)
     * @param procSelfFd a descriptor of {@code /proc/self/fd} to reopen {@code O_PATH} descriptors through (see
     *               {@link Opens#reopen}), or a negative number where there is none
     * @param name   a relative name in UTF-8, without NUL, in {@code name[0, length)}; checked by {@link Names}
     *               before, but an opener stays beneath the root for any input
     * @param stat   receives, as {@link FileStat#fstat}, the opened file's mode, size, inode and device
     * @return a descriptor opened {@link #READ_FLAGS}, or a negative errno: {@code -EXDEV} or {@code -ELOOP} for a
     *         resolution that would leave the root or meets an absolute symlink, a magic link or a loop,
     *         {@code -EISDIR} for a directory, {@code -ENXIO} for anything else that is not a regular file,
     *         {@link #NOT_SERVED} for a name that crosses onto another mount where that is not allowed, or for a
     *         file of a pseudo filesystem
     */
    int open(int rootFd, int procSelfFd, byte[] name, int length, long[] stat);

    /** {@link #open(int, int, byte[], int, long[])} of the whole of {@code name}. */
    default int open(int rootFd, int procSelfFd, byte[] name, long[] stat) {
        return open(rootFd, procSelfFd, name, name.length, stat);
    }

    /**
     * What an opener answers for a file that the server's own rule refuses (protocol v1, "Mounts beneath the
     * root"): PERMISSION_DENIED, as the kernel's EPERM. Never EACCES, which on the nodev way means "look closer".
     */
    int NOT_SERVED = -Errno.EPERM;

    /**
     * Whether {@code r} says that the name itself is refused (protocol v1, "Names": it leads out of the root, meets
     * an absolute symlink, a magic link or a loop, or is too long), which no mount rule overrides.
     */
    static boolean isInvalidName(int r) {
        return r == -Errno.EXDEV || r == -Errno.ELOOP || r == -Errno.ENAMETOOLONG;
    }

    /**
     * The answer for a name whose resolution crossed onto another mount where that is not allowed, from {@code r},
     * what resolving it across the mounts gave (a descriptor, which is closed, or a negative errno): the name's own
     * refusal, or the lack of descriptors, if either; else {@link #NOT_SERVED}, whatever is or is not on that mount.
     */
    static int crossedMount(int r) {
        if (r >= 0) {
            Descriptors.close(r);
            return NOT_SERVED;
        }
        return isInvalidName(r) || r == -Errno.EMFILE || r == -Errno.ENFILE ? r : NOT_SERVED;
    }

    /** The errno of an entry that exists but is not served. */
    static int notRegular(long mode) {
        return FileStat.isDirectory(mode) ? -Errno.EISDIR : -Errno.ENXIO;
    }

    /** Checks that {@code fd}, just opened, is a regular file, filling {@code stat}; closes it if not. */
    static int checkRegular(int fd, long[] stat) {
        int r = FileStat.fstat(fd, stat);
        if (r == 0 && !FileStat.isRegular(stat[FileStat.STAT_MODE])) {
            r = notRegular(stat[FileStat.STAT_MODE]);
        }
        if (r < 0) {
            Descriptors.close(fd);
            return r;
        }
        return fd;
    }

    /**
     * Checks that {@code fd}, opened by name after {@code expected} was taken of an {@code O_PATH} descriptor, is
     * still that regular file: the name may have been replaced in between. Closes {@code fd} if not.
     */
    static int checkSameFile(int fd, long[] expected, long[] stat) {
        int r = FileStat.fstat(fd, stat);
        if (r == 0 && !FileStat.isRegular(stat[FileStat.STAT_MODE])) {
            r = notRegular(stat[FileStat.STAT_MODE]);
        } else if (r == 0 && (stat[FileStat.STAT_INO] != expected[FileStat.STAT_INO]
                || stat[FileStat.STAT_DEV] != expected[FileStat.STAT_DEV])) {
            r = -Errno.EAGAIN;
        }
        if (r < 0) {
            Descriptors.close(fd);
            return r;
        }
        return fd;
    }
}
