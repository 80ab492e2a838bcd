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

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The default {@link FileSource}: the regular files beneath a root directory, opened relative to a descriptor of
 * the root taken once, so that renaming or replacing the root's path later changes nothing.
 */
public final class BeneathFileSource implements FileSource {
    private static final int CLOSED = 1;
    private static final int IN_USE = 2;

    private final Path root;
    private final int rootFd;
    /** Taken with the root and closed with it, for {@link Opens#reopen}; negative where there is no /proc. */
    private final int procSelfFd;
    private final BeneathOpener opener;
    private final boolean mayBlock;
    /** {@link #CLOSED}, plus {@link #IN_USE} per open in progress: the last one out closes the root. */
    private final AtomicInteger state = new AtomicInteger();

    BeneathFileSource(Path root, int rootFd, int procSelfFd, BeneathOpener opener, boolean mayBlock) {
        this.root = root;
        this.rootFd = rootFd;
        this.procSelfFd = procSelfFd;
        this.opener = opener;
        this.mayBlock = mayBlock;
    }

    /**
     * Opens {@code root} (with {@code O_PATH} where there is one, else for reading) and picks the opener.
     *
     * @throws IOException if {@code root} is not a directory that can be opened
     */
    public static BeneathFileSource open(Path root) throws IOException {
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
            procSelfFd = Opens.openProcSelfFd();
            return new BeneathFileSource(root, fd, procSelfFd, opener(fd), mayBlock(fd));
        } catch (RuntimeException | Error e) {
            closeBoth(fd, procSelfFd);
            throw e;
        }
    }

    /**
     * The strongest confinement the platform offers. Linux: {@code openat2(2)} where the kernel has it (old kernels
     * answer ENOSYS, old container seccomp profiles EPERM for system calls they do not know), else the walk with
     * {@code O_PATH}. macOS has neither {@code RESOLVE_BENEATH} nor {@code O_PATH}: the portable walk, with
     * {@code O_NOFOLLOW} on every component.
     */
    private static BeneathOpener opener(int rootFd) {
        if (!Platform.LINUX) {
            return new WalkingOpener(false);
        }
        int probe = Opens.openat2(rootFd, ".", Opens.O_PATH | Opens.O_CLOEXEC, Openat2Opener.RESOLVE);
        if (probe >= 0) {
            Descriptors.close(probe);
        }
        return probe == -Errno.ENOSYS || probe == -Errno.EPERM ? new WalkingOpener(true) : Openat2Opener.INSTANCE;
    }

    /** Whether opens beneath {@code rootFd} may stall: unless its filesystem is known to be local, see isLocal. */
    private static boolean mayBlock(int rootFd) {
        if (Platform.DARWIN) {
            String name = FileStat.fstatfsTypeName(rootFd);
            return name == null || !isLocal(name);
        }
        long type = FileStat.fstatfsType(rootFd);
        return type < 0 || !isLocal(type);
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

    /**
     * Whether opens on this filesystem complete in microseconds, from the page cache or a local disk: then running
     * them on the event loop costs less than a hop to another thread. Network and FUSE filesystems (NFS, SMB,
     * 9p, Ceph, sshfs...) can stall an open for seconds, which must not stall the loop's other connections; so can
     * filesystems not listed, for all we know.
     */
    static boolean isLocal(long fsType) {
        if (fsType != (fsType & 0xFFFFFFFFL)) {
            return false; // magic numbers have 32 bits
        }
        return switch ((int) fsType) {
            case 0xEF53, // ext2, ext3, ext4
                 0x58465342, // xfs
                 0x9123683E, // btrfs
                 0x01021994, // tmpfs
                 0x858458F6, // ramfs
                 0x794C7630, // overlayfs (of local layers, in practice: container images)
                 0x2FC12FC1, // zfs
                 0xF2F52010, // f2fs
                 0xCA451A4E, // bcachefs
                 0xE0F5E1E2, // erofs
                 0x73717368, // squashfs
                 0x3153464A, // jfs
                 0x52654973, // reiserfs
                 0x4D44, // vfat, msdos
                 0x2011BAB0 // exfat
                    -> true;
            default -> false;
        };
    }

    /**
     * {@link #isLocal(long)} on macOS, by {@code f_fstypename}: its filesystem type numbers only say in which order
     * the filesystems registered. The kernel's own disk filesystems are local; anything else may block: network
     * filesystems (nfs, smbfs, afpfs, webdav), macFUSE and FSKit filesystems served by a process, and, for all we
     * know, any filesystem not listed.
     */
    static boolean isLocal(String fsTypeName) {
        return switch (fsTypeName) {
            case "apfs", "hfs" -> true;
            default -> false;
        };
    }

    @Override
    public OpenResult open(String name, Peer peer) {
        return open(name.getBytes(StandardCharsets.UTF_8), peer);
    }

    /** Like {@link #open(String, Peer)} for a name already in UTF-8, such as one decoded from a request. */
    @Override
    public OpenResult open(byte[] name, Peer peer) {
        if (!acquire()) {
            return OpenResult.failed(FileStatus.IO_ERROR);
        }
        try {
            long[] stat = new long[FileStat.STAT_LENGTH];
            int fd = opener.open(rootFd, procSelfFd, name, stat);
            return fd >= 0 ? OpenResult.opened(new FileDescriptor(fd), stat[FileStat.STAT_SIZE])
                    : OpenResult.failed(statusOf(-fd));
        } finally {
            release();
        }
    }

    /** The status for the errno of an open (protocol v1, "Entry status"). */
    static FileStatus statusOf(int errno) {
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

    /** False on local filesystems, see {@link #isLocal(long)} and {@link #isLocal(String)}. */
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
        return "BeneathFileSource(" + root + ", " + opener + (mayBlock ? ", may block)" : ")");
    }
}
