package io.fdpass.files;

import io.fdpass.FileSource;
import io.fdpass.OpenResult;
import io.fdpass.Peer;
import io.fdpass.codec.FileStatus;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.FileStat;
import io.fdpass.internal.Opens;
import io.fdpass.internal.Platform;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The default {@link FileSource}: the regular files beneath a root directory, opened relative to a descriptor of
 * the root taken once, so that renaming or replacing the root's path later changes nothing. Files of other mounts
 * beneath the root are served only where that is allowed, and never those of a pseudo filesystem (protocol v1,
 * "Mounts beneath the root").
 */
public final class BeneathFileSource implements FileSource {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(BeneathFileSource.class);

    /** What an open fills, one per thread: the openers keep nothing of it between calls. */
    private static final FastThreadLocal<long[]> STAT = new FastThreadLocal<>() {
        @Override
        protected long[] initialValue() {
            return new long[FileStat.STAT_LENGTH];
        }
    };
    private static final int CLOSED = 1;
    private static final int IN_USE = 2;

    private final Path root;
    private final int rootFd;
    /** Taken with the root and closed with it, for {@link Opens#reopen}; negative where there is no /proc. */
    private final int procSelfFd;
    private final BeneathOpener opener;
    /** How it opens, for people: the opener, and why, and the rule for mounts. */
    private final String way;
    private final boolean mayBlock;
    /** {@link #CLOSED}, plus {@link #IN_USE} per open in progress: the last one out closes the root. */
    private final AtomicInteger state = new AtomicInteger();

    private BeneathFileSource(Path root, int rootFd, int procSelfFd, BeneathOpener opener, String way,
            boolean mayBlock) {
        this.root = root;
        this.rootFd = rootFd;
        this.procSelfFd = procSelfFd;
        this.opener = opener;
        this.way = way;
        this.mayBlock = mayBlock;
    }

    /** {@link #open(Path, boolean)} of a source that serves only the files of the root's own mount. */
    public static BeneathFileSource open(Path root) throws IOException {
        return open(root, false);
    }

    /**
     * Opens {@code root} (with {@code O_PATH} where there is one, else for reading), picks the way to open names
     * beneath it, and logs that way (INFO, one line).
     *
     * @param allowMounts whether names may cross onto other mounts beneath the root (never onto a pseudo filesystem)
     * @throws IOException if {@code root} is not a directory that can be opened, or is on a pseudo filesystem
     */
    public static BeneathFileSource open(Path root, boolean allowMounts) throws IOException {
        int fd = Opens.openat(Opens.AT_FDCWD, root.toAbsolutePath().toString(),
                Opens.O_PATH | Opens.O_DIRECTORY | Opens.O_CLOEXEC);
        if (fd < 0) {
            throw new IOException("root: " + root + " (" + reason(-fd) + ")");
        }
        // O_PATH opens a directory the server may not search, and every name beneath it would then be refused.
        if (!Files.isExecutable(root)) {
            Descriptors.close(fd);
            throw new IOException("root: " + root + " (permission denied: the server may not search it)");
        }
        int procSelfFd = -1;
        try {
            long[] stat = new long[FileStat.STAT_LENGTH];
            int r = FileStat.fstat(fd, stat);
            if (r < 0) {
                throw new IOException("root: " + root + " (" + Errno.strerror(r) + ")");
            }
            if (Filesystems.isPseudo(fd)) {
                throw new IOException("root: " + root + " (a pseudo filesystem, type " + Filesystems.describe(fd)
                        + ", whose files are views of the kernel)");
            }
            procSelfFd = Opens.openProcSelfFd();
            BeneathOpener opener = opener(fd, allowMounts, stat[FileStat.STAT_DEV]);
            String way = opener + (opener instanceof Openat2Opener ? " (root mount allows devices)" : "")
                    + (allowMounts ? "; mounts beneath the root crossed, but never onto a pseudo filesystem"
                            : "; mounts beneath the root not crossed");
            BeneathFileSource source = new BeneathFileSource(root, fd, procSelfFd, opener, way,
                    Filesystems.mayBlock(fd));
            logger.info("fdpass file source {}: {}", root, way);
            return source;
        } catch (IOException | RuntimeException | Error e) {
            closeBoth(fd, procSelfFd);
            throw e;
        }
    }

    /**
     * The strongest confinement the platform offers, by the cheapest way it allows (protocol v1, "Opening").
     * Linux: {@code openat2(2)} where the kernel has it (old kernels answer ENOSYS, old container seccomp profiles
     * EPERM for system calls they do not know), opening at once where the root's mount is {@code nodev}, else type
     * first; without it, the walk with {@code O_PATH}. macOS has neither {@code RESOLVE_BENEATH} nor
     * {@code O_PATH}: the portable walk, with {@code O_NOFOLLOW} on every component.
     */
    private static BeneathOpener opener(int rootFd, boolean allowMounts, long rootDev) {
        if (!Platform.LINUX) {
            return new WalkingOpener(false, allowMounts, rootDev);
        }
        int probe = Opens.openat2(rootFd, ".", Opens.O_PATH | Opens.O_CLOEXEC,
                Openat2Opener.RESOLVE | Opens.RESOLVE_NO_XDEV);
        if (probe >= 0) {
            Descriptors.close(probe);
        }
        if (probe == -Errno.ENOSYS || probe == -Errno.EPERM) {
            return new WalkingOpener(true, allowMounts, rootDev);
        }
        Openat2Opener typeFirst = new Openat2Opener(allowMounts, rootDev, FileStat.mountId(rootFd));
        long flags = FileStat.fstatfsFlags(rootFd);
        return flags >= 0 && (flags & FileStat.ST_NODEV) != 0 ? new NodevOpener(typeFirst) : typeFirst;
    }

    private static String reason(int errno) {
        if (errno == Errno.ENOTDIR) {
            return "not a directory";
        }
        if (errno == Errno.ENOENT) {
            return "no such directory";
        }
        if (errno == Errno.EACCES) {
            return "permission denied";
        }
        return Errno.strerror(errno);
    }

    @Override
    public OpenResult open(String name, Peer peer) {
        return open(name.getBytes(StandardCharsets.UTF_8), peer);
    }

    /** Like {@link #open(String, Peer)} for a name already in UTF-8, such as one decoded from a request. */
    @Override
    public OpenResult open(byte[] name, Peer peer) {
        long[] stat = STAT.get();
        int fd = openDescriptor(name, name.length, stat);
        return fd >= 0 ? OpenResult.opened(new FileDescriptor(fd), stat[FileStat.STAT_SIZE])
                : OpenResult.failed(statusOf(-fd));
    }

    /**
     * {@link #open(byte[], Peer)} of {@code name[0, length)} without its result object, for the server: the
     * descriptor, its size left in {@code stat[FileStat.STAT_SIZE]}, or a negative errno, which {@link #statusOf}
     * maps to the answer.
     *
     * @param stat a {@code long[FileStat.STAT_LENGTH]} that the open fills
     */
    public int openDescriptor(byte[] name, int length, long[] stat) {
        if (!acquire()) {
            return -Errno.EBADF;
        }
        try {
            return opener.open(rootFd, procSelfFd, name, length, stat);
        } finally {
            release();
        }
    }

    /** The status for the errno of an open (protocol v1, "Entry status"). */
    public static FileStatus statusOf(int errno) {
        if (errno == Errno.ENOENT || errno == Errno.ENOTDIR) {
            return FileStatus.NOT_FOUND;
        }
        if (errno == Errno.EACCES || errno == Errno.EPERM) {
            return FileStatus.PERMISSION_DENIED;
        }
        if (errno == Errno.EXDEV || errno == Errno.ELOOP || errno == Errno.ENAMETOOLONG) {
            return FileStatus.INVALID_NAME;
        }
        if (errno == Errno.ENXIO || errno == Errno.ENODEV || errno == Errno.EISDIR) {
            return FileStatus.NOT_REGULAR_FILE;
        }
        if (errno == Errno.EMFILE || errno == Errno.ENFILE) {
            return FileStatus.LIMIT_EXCEEDED;
        }
        return FileStatus.IO_ERROR;
    }

    /** False on local filesystems, see {@link Filesystems#isLocal(long)} and {@link Filesystems#isLocal(String)}. */
    @Override
    public boolean mayBlock() {
        return mayBlock;
    }

    /** Closes the root once no open is using it any more; idempotent. */
    @Override
    public void close() {
        int previous = state.getAndUpdate(s -> s | CLOSED);
        if (previous == 0) {
            closeBoth(rootFd, procSelfFd);
        }
    }

    private boolean acquire() {
        for (;;) {
            int s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s + IN_USE)) {
                return true;
            }
        }
    }

    private void release() {
        if (state.addAndGet(-IN_USE) == CLOSED) {
            closeBoth(rootFd, procSelfFd);
        }
    }

    private static void closeBoth(int rootFd, int procSelfFd) {
        Descriptors.close(rootFd);
        if (procSelfFd >= 0) {
            Descriptors.close(procSelfFd);
        }
    }

    @Override
    public String toString() {
        return "BeneathFileSource(" + root + ", " + way + (mayBlock ? ", may block)" : ")");
    }
}
