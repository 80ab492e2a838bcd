package io.fdpass.files;

import io.fdpass.internal.Errno;
import io.fdpass.internal.Opens;

/**
 * Linux 5.6+, on a root whose mount is {@code nodev} (protocol v1, "Opening", way 2): there the kernel refuses to
 * open any device node (EACCES) before a driver sees the open, and {@code RESOLVE_NO_XDEV} keeps the resolution on
 * that mount, so the name is opened for reading at once ({@code O_NONBLOCK}: a FIFO opens without a writer) and its
 * type checked on the descriptor: one {@code openat2(2)} and one {@code statx(2)}, against the type-first way's
 * resolution, {@code statx}, reopen through {@code /proc/self/fd} and close.
 *
 * <p>EACCES (a device node, or a file the server may not read) and EXDEV (a name that leaves the root, or crosses
 * onto another mount) are no answer on this way: such a name is resolved type first, so that every way gives one
 * file the same status.
 */
final class NodevOpener implements BeneathOpener {
    private static final long RESOLVE = Openat2Opener.RESOLVE | Opens.RESOLVE_NO_XDEV;

    private final BeneathOpener typeFirst;

    /** @param typeFirst the type-first way for the same root, which answers where this one cannot */
    NodevOpener(Openat2Opener typeFirst) {
        this.typeFirst = typeFirst;
    }

    @Override
    public int open(int rootFd, int procSelfFd, byte[] name, int length, long[] stat) {
        int fd = Openat2Opener.openat2(rootFd, name, length, READ_FLAGS, RESOLVE);
        if (fd == -Errno.EACCES || fd == -Errno.EXDEV) {
            return typeFirst.open(rootFd, procSelfFd, name, length, stat);
        }
        return fd < 0 ? fd : BeneathOpener.checkRegular(fd, stat);
    }

    @Override
    public String toString() {
        return "openat2, nodev: open then check";
    }
}
