package io.fdpass.files;

import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.FileStat;
import io.fdpass.internal.Opens;
import io.fdpass.internal.Platform;

import java.util.Arrays;

/**
 * Confines a resolution without {@code openat2(2)} (macOS, the BSDs, Linux before 5.6): it walks the name one
 * component at a time with {@code O_NOFOLLOW}, so the kernel never follows a link for it, and resolves symlinks
 * itself, lexically, on its own stack of directory descriptors. That stack is what makes it safe against a tree
 * that changes meanwhile: {@code ..} pops a descriptor the walk already holds instead of asking the kernel for a
 * parent, and popping the root is refused. A magic link (under {@code /proc}) is never followed either: its
 * target reads as an absolute path, or as something like {@code pipe:[42]}, or procfs will not show it.
 *
 * <p>It refuses what {@link Openat2Opener} refuses, with the same errno: an absolute symlink ({@code EXDEV}), one
 * leading above the root ({@code EXDEV}), more than {@value #MAX_SYMLINKS} symlinks ({@code ELOOP}), a name of
 * {@link Opens#PATH_MAX} bytes or more ({@code ENAMETOOLONG}), a magic link to something that is no file or whose
 * target procfs will not show ({@code ELOOP}), and, unless mounts may be crossed, a name that steps onto another
 * mount ({@link #NOT_SERVED}, unless the rest of the walk finds the name invalid, as the kernel's resolution
 * would). It tells mounts by their device, all that macOS offers: a bind mount of the root's own filesystem goes
 * unseen. Where mounts may be crossed, a file of a pseudo filesystem is {@link #NOT_SERVED}.
 */
final class WalkingOpener implements BeneathOpener {
    /** Linux's limit (MAXSYMLINKS), so that both openers agree. */
    static final int MAX_SYMLINKS = 40;

    private static final byte[] SELF = new byte[0];
    /** What a step returns, beside a descriptor or a negative errno: go on with the next component. */
    private static final int NEXT = Integer.MIN_VALUE;

    private final boolean usePath;
    private final boolean allowMounts;
    private final long rootDev;
    private final int dirFlags;
    private final int leafFlags;

    /**
     * @param usePath     whether to look at each entry through an {@code O_PATH} descriptor before opening it for
     *                    reading (never opening a device); without it (the portable way) the last component is
     *                    opened {@code O_NONBLOCK | O_NOCTTY} and its type checked at once
     * @param allowMounts whether names may cross onto other mounts beneath the root (never onto a pseudo
     *                    filesystem)
     * @param rootDev     the root's {@link FileStat#STAT_DEV}
     */
    WalkingOpener(boolean usePath, boolean allowMounts, long rootDev) {
        this.usePath = usePath;
        this.allowMounts = allowMounts;
        this.rootDev = rootDev;
        int nofollow = Opens.O_NOFOLLOW | Opens.O_CLOEXEC;
        if (usePath) {
            dirFlags = Opens.O_PATH | nofollow; // no O_DIRECTORY: a symlink must open, to be recognized as one
            leafFlags = Opens.O_PATH | nofollow;
        } else {
            dirFlags = Opens.O_RDONLY | Opens.O_DIRECTORY | nofollow;
            leafFlags = READ_FLAGS | Opens.O_NOFOLLOW;
        }
    }

    @Override
    public int open(int rootFd, int procSelfFd, byte[] name, int length, long[] stat) {
        if (length == 0) {
            return -Errno.ENOENT;
        }
        if (length >= Opens.PATH_MAX) {
            return -Errno.ENAMETOOLONG;
        }
        if (length != name.length) {
            name = Arrays.copyOf(name, length); // the walk goes to the end of its array
        }
        if (name[0] == '/') {
            return -Errno.EXDEV;
        }
        Walk walk = new Walk(rootFd, procSelfFd, name, stat);
        try {
            int r = walk.run();
            return walk.crossed ? BeneathOpener.crossedMount(r) : r;
        } finally {
            walk.closeDirectories();
        }
    }

    @Override
    public String toString() {
        return usePath ? "walking, O_PATH" : "walking: open then check";
    }

    /** One resolution: the rest of the path to walk, and the directories walked into. */
    private final class Walk {
        private final long[] stat;
        private final int procSelfFd;
        private byte[] path;
        private int pos;
        private int[] dirs = new int[8]; // dirs[0] is the caller's root; the walk owns dirs[1..depth]
        private int depth;
        private byte[] target;
        private int links;
        /**
         * Whether the walk stepped onto another mount where that is not allowed. It goes on, so that a name that
         * is invalid further on is answered so, but it opens nothing more for reading.
         */
        boolean crossed;

        Walk(int rootFd, int procSelfFd, byte[] name, long[] stat) {
            this.stat = stat;
            this.procSelfFd = procSelfFd;
            path = name;
            dirs[0] = rootFd;
        }

        int run() {
            for (;;) {
                while (pos < path.length && path[pos] == '/') {
                    pos++;
                }
                if (pos == path.length) {
                    return -Errno.EISDIR; // the walk ended on a directory: "x/", "x/.", "x/.."
                }
                int start = pos;
                while (pos < path.length && path[pos] != '/') {
                    pos++;
                }
                int length = pos - start;
                boolean last = pos == path.length;
                int r;
                if (length == 1 && path[start] == '.') {
                    r = NEXT;
                } else if (length == 2 && path[start] == '.' && path[start + 1] == '.') {
                    r = pop();
                } else {
                    r = usePath ? stepWithPath(start, length, last) : step(start, length, last);
                }
                if (r != NEXT) {
                    return r;
                }
            }
        }

        /** Looks at the entry through O_PATH first, so that only a regular file is ever opened for reading. */
        private int stepWithPath(int start, int length, boolean last) {
            int dir = dirs[depth];
            int fd = Opens.openat(dir, path, start, length, last ? leafFlags : dirFlags);
            if (fd < 0) {
                return fd;
            }
            int r = FileStat.fstat(fd, stat);
            long mode = stat[FileStat.STAT_MODE];
            if (r == 0 && !allowMounts && stat[FileStat.STAT_DEV] != rootDev) {
                crossed = true;
            }
            if (r == 0 && FileStat.isDirectory(mode) && !last) {
                return push(fd);
            }
            if (r == 0 && FileStat.isRegular(mode) && last) {
                if (crossed || notServed(fd, stat)) {
                    Descriptors.close(fd);
                    return NOT_SERVED;
                }
                return openForReading(procSelfFd, fd, dir, path, start, length, stat);
            }
            if (r == 0 && FileStat.isSymlink(mode)) {
                r = Opens.readlinkat(fd, SELF, 0, 0, target());
                // Reading a symlink checks nothing but the LSMs; procfs refuses to show the target of a magic
                // link of a process this one may not trace: a magic link all the same.
                r = r == -Errno.EACCES ? -Errno.ELOOP : r < 0 ? r : follow(r, fd);
            } else if (r == 0) {
                r = last ? BeneathOpener.notRegular(mode) : -Errno.ENOTDIR;
            }
            Descriptors.close(fd);
            return r;
        }

        /**
         * The portable way: opens for reading, refusing symlinks, and checks the type at once. Where there is no
         * O_PATH, nothing can look at an entry without opening it: a FIFO opens at once (O_NONBLOCK), but a device
         * is opened before it is refused (protocol v1, "Opening").
         */
        private int step(int start, int length, boolean last) {
            int dir = dirs[depth];
            if (crossed && last) {
                // Its directory is on another mount: only a symlink there may still make the name invalid.
                int r = Opens.readlinkat(dir, path, start, length, target());
                return r >= 0 ? follow(r, dir) : r == -Errno.EACCES && isLink(dir, start, length) ? -Errno.ELOOP
                        : NOT_SERVED;
            }
            int fd = Opens.openat(dir, path, start, length, last ? leafFlags : dirFlags);
            if (fd >= 0 && last) {
                return checkLeaf(fd);
            }
            if (fd >= 0) {
                return allowMounts ? push(fd) : checkDirectory(fd);
            }
            if (fd == -Errno.ENOENT) {
                return fd;
            }
            if (fd == -Errno.EOPNOTSUPP && last) {
                return -Errno.ENXIO; // macOS refuses to open a socket so, where Linux says ENXIO
            }
            // O_NOFOLLOW refuses a symlink with ELOOP (Linux, macOS), EMLINK (FreeBSD) or EFTYPE (NetBSD), and
            // O_DIRECTORY may say ENOTDIR first: whether it was a symlink, only readlink tells.
            int r = Opens.readlinkat(dir, path, start, length, target());
            if (r >= 0) {
                return follow(r, dir);
            }
            if (r == -Errno.EACCES && isLink(dir, start, length)) {
                return -Errno.ELOOP;
            }
            if (fd == -Errno.EACCES && last) {
                // A device the server may not open, or one on a nodev mount, is not regular all the same: the
                // status must not depend on the way (the type-first ones never open it).
                long[] leaf = new long[FileStat.STAT_LENGTH];
                long mode = FileStat.statAt(dir, path, start, length, leaf) == 0 ? leaf[FileStat.STAT_MODE] : -1;
                if (mode >= 0 && !FileStat.isRegular(mode)) {
                    return BeneathOpener.notRegular(mode);
                }
            }
            return fd;
        }

        /**
         * The portable way's leaf, just opened: refused unless a regular file of a mount it may serve. (A mount
         * over the leaf itself, where mounts may not be crossed, shows only now: its file was opened, never read.)
         */
        private int checkLeaf(int fd) {
            int r = FileStat.fstat(fd, stat);
            long mode = stat[FileStat.STAT_MODE];
            if (r == 0) {
                crossed |= !allowMounts && stat[FileStat.STAT_DEV] != rootDev;
                r = crossed || FileStat.isRegular(mode) && notServed(fd, stat) ? NOT_SERVED
                        : !FileStat.isRegular(mode) ? BeneathOpener.notRegular(mode) : fd;
            }
            if (r < 0) {
                Descriptors.close(fd);
            }
            return r;
        }

        /** The portable way's directory, just opened: another mount's where that is not allowed? */
        private int checkDirectory(int fd) {
            int r = FileStat.fstat(fd, stat); // the leaf's, later
            if (r < 0) {
                Descriptors.close(fd);
                return r;
            }
            crossed |= stat[FileStat.STAT_DEV] != rootDev;
            return push(fd);
        }

        private int push(int fd) {
            if (++depth == dirs.length) {
                dirs = Arrays.copyOf(dirs, depth * 2);
            }
            dirs[depth] = fd;
            return NEXT;
        }

        /** {@code ..}: back to the directory the walk came from, never above the root. */
        private int pop() {
            if (depth == 0) {
                return -Errno.EXDEV;
            }
            Descriptors.close(dirs[depth--]);
            return NEXT;
        }

        /**
         * Whether the entry whose link could not be read (EACCES) is a symlink all the same, looked at without
         * opening it: then it is a magic link of a process this one may not trace (reading a symlink checks nothing
         * but the LSMs, procfs checks ptrace access), else the directory could not be searched.
         */
        private boolean isLink(int dir, int start, int length) {
            long[] entry = new long[FileStat.STAT_LENGTH];
            return FileStat.statAt(dir, path, start, length, entry) == 0
                    && FileStat.isSymlink(entry[FileStat.STAT_MODE]);
        }

        /**
         * Continues the walk with the target of the symlink just read, then what came after the link.
         *
         * @param where a descriptor on the link's filesystem: the link's own, or its directory's
         */
        private int follow(int targetLength, int where) {
            if (++links > MAX_SYMLINKS) {
                return -Errno.ELOOP;
            }
            if (targetLength == 0) {
                return -Errno.ENOENT;
            }
            if (target[0] == '/') {
                return -Errno.EXDEV;
            }
            if (namesKernelObject(targetLength, where)) {
                return -Errno.ELOOP;
            }
            byte[] next = new byte[targetLength + path.length - pos];
            System.arraycopy(target, 0, next, 0, targetLength);
            System.arraycopy(path, pos, next, targetLength, path.length - pos);
            path = next;
            pos = 0;
            return NEXT;
        }

        /**
         * Whether the link just read is one of procfs's magic links to something that is no file ({@code pipe:[42]},
         * {@code socket:[7]}, {@code anon_inode:[eventfd]}, {@code net:[4026531840]}), which the kernel's
         * resolution refuses as it refuses every magic link ({@code RESOLVE_NO_MAGICLINKS}). Those to files read as
         * absolute paths, refused as such; procfs's plain symlinks ({@code self}, {@code mounts} to
         * {@code self/mounts}) hold no colon.
         */
        private boolean namesKernelObject(int targetLength, int where) {
            if (!Platform.LINUX) {
                return false;
            }
            for (int i = 0; i < targetLength; i++) {
                if (target[i] == ':') {
                    return FileStat.fstatfsType(where) == Filesystems.PROC;
                }
            }
            return false;
        }

        private byte[] target() {
            if (target == null) {
                target = new byte[Opens.PATH_MAX];
            }
            return target;
        }

        void closeDirectories() {
            while (depth > 0) {
                Descriptors.close(dirs[depth--]);
            }
        }
    }

    /** Upgrades the O_PATH descriptor of a regular file to a readable one, and closes it. */
    private static int openForReading(int procSelfFd, int pathFd, int dir, byte[] path, int start, int length,
            long[] stat) {
        try {
            int fd = Opens.reopen(procSelfFd, pathFd, READ_FLAGS);
            if (fd != -Errno.ENOENT) {
                return fd;
            }
            // No /proc: O_NOFOLLOW keeps this open to the same entry, and the check below to the same file.
            fd = Opens.openat(dir, path, start, length, READ_FLAGS | Opens.O_NOFOLLOW);
            return fd < 0 ? fd : BeneathOpener.checkSameFile(fd, stat, new long[FileStat.STAT_LENGTH]);
        } finally {
            Descriptors.close(pathFd);
        }
    }

    /** Whether {@code fd}, a regular file, is refused for its filesystem: another mount's, a pseudo one. */
    private boolean notServed(int fd, long[] stat) {
        return allowMounts && stat[FileStat.STAT_DEV] != rootDev && Filesystems.isPseudo(fd);
    }
}
