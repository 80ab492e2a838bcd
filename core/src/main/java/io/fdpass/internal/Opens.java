package io.fdpass.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Opening by name: {@code openat(2)}, {@code openat2(2)} (Linux), the reopen of a descriptor through
 * {@code /proc/self/fd}, {@code readlinkat(2)}, and their flags.
 */
public final class Opens {
    public static final int O_RDONLY = 0;
    public static final int O_ACCMODE = 3;
    /** Zero where the platform has no {@code O_PATH}: callers then open with {@code O_RDONLY} instead. */
    public static final int O_PATH;
    public static final int O_CLOEXEC;
    public static final int O_NOCTTY;
    public static final int O_NONBLOCK;
    public static final int O_DIRECTORY;
    public static final int O_NOFOLLOW;
    public static final int AT_FDCWD;

    // Linux only (<linux/openat2.h>, <linux/fcntl.h>).
    public static final long RESOLVE_NO_XDEV = 0x01;
    public static final long RESOLVE_NO_MAGICLINKS = 0x02;
    public static final long RESOLVE_NO_SYMLINKS = 0x04;
    public static final long RESOLVE_BENEATH = 0x08;
    public static final int AT_EMPTY_PATH = 0x1000;

    /**
     * The longest name the openers take, with its NUL: Linux's PATH_MAX. (macOS's is 1024, but the walk that
     * serves there passes the kernel one component at a time.)
     */
    public static final int PATH_MAX = 4096;

    static {
        if (Platform.DARWIN) {
            // xnu's <sys/fcntl.h>, the same on x86_64 and arm64. No O_PATH.
            O_PATH = 0;
            O_CLOEXEC = 0x1000000;
            O_NOCTTY = 0x20000;
            O_NONBLOCK = 0x4;
            O_DIRECTORY = 0x100000;
            O_NOFOLLOW = 0x100;
            AT_FDCWD = -2;
        } else {
            // Linux, <asm-generic/fcntl.h>, but for two flags that aarch64 keeps from 32-bit ARM
            // (arch/arm64/include/uapi/asm/fcntl.h): there, 0200000 and 0400000 mean O_DIRECT and O_LARGEFILE.
            O_PATH = 010000000;
            O_CLOEXEC = 02000000;
            O_NOCTTY = 0400;
            O_NONBLOCK = 04000;
            O_DIRECTORY = Platform.AARCH64 ? 040000 : 0200000;
            O_NOFOLLOW = Platform.AARCH64 ? 0100000 : 0400000;
            AT_FDCWD = -100;
        }
    }

    private static final long SYS_OPENAT2 = 437; // the same on every Linux architecture (424+ are unified)
    /** {@code struct open_how { u64 flags, mode, resolve; }}. */
    private static final long OPEN_HOW_SIZE = 24;
    private static final byte[] PROC_SELF_FD = "/proc/self/fd/".getBytes(StandardCharsets.US_ASCII);
    /** "/proc/self/fd/" + 10 digits + NUL, rounded up. */
    private static final long PROC_PATH_SIZE = 32;

    private static final class Openat {
        static final MethodHandle HANDLE = Ffm.bind("openat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 3);
    }

    private static final class Readlinkat {
        static final MethodHandle HANDLE = Ffm.bind("readlinkat",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), -1);
    }

    // openat2 has no libc wrapper everywhere, hence syscall(2): never elsewhere, where 437 is another call.
    private static final class Syscall4 {
        static final MethodHandle HANDLE = Ffm.bind("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), 1, Platform.LINUX);
    }

    private Opens() {
    }

    /**
     * Opens {@code path} relative to {@code dirfd} with {@code openat2(2)}: the only way to have the kernel itself
     * keep a resolution beneath a directory ({@link #RESOLVE_BENEATH}), which no check in user space can do
     * without races.
     *
     * <p>Linux only.
     *
     * @param path the path, without a terminating NUL and with none inside, in {@code path[0, length)}
     * @return a descriptor, or a negative errno ({@code -ENOSYS} before Linux 5.6)
     */
    public static int openat2(int dirfd, byte[] path, int length, long flags, long resolve) {
        Ffm.Scratch s = Ffm.scratch();
        if (!s.setPath(path, 0, length)) {
            return -Errno.ENAMETOOLONG;
        }
        MemorySegment how = s.struct;
        how.set(JAVA_LONG, 0, flags);
        how.set(JAVA_LONG, 8, 0L);
        how.set(JAVA_LONG, 16, resolve);
        try {
            return (int) (long) Syscall4.HANDLE.invokeExact(s.errno, SYS_OPENAT2, (long) dirfd, s.path, how,
                    OPEN_HOW_SIZE);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    public static int openat2(int dirfd, byte[] path, long flags, long resolve) {
        return openat2(dirfd, path, path.length, flags, resolve);
    }

    public static int openat2(int dirfd, String path, long flags, long resolve) {
        return openat2(dirfd, path.getBytes(StandardCharsets.UTF_8), flags, resolve);
    }

    /** {@code openat(2)} of {@code path[offset, offset + length)}; a descriptor or a negative errno. */
    public static int openat(int dirfd, byte[] path, int offset, int length, int flags) {
        Ffm.Scratch s = Ffm.scratch();
        if (!s.setPath(path, offset, length)) {
            return -Errno.ENAMETOOLONG;
        }
        return openat(s, dirfd, s.path, flags);
    }

    public static int openat(int dirfd, String path, int flags) {
        byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        return openat(dirfd, bytes, 0, bytes.length, flags);
    }

    private static int openat(Ffm.Scratch s, int dirfd, MemorySegment path, int flags) {
        try {
            return (int) Openat.HANDLE.invokeExact(s.errno, dirfd, path, flags, 0);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /** Opens this process's {@code /proc/self/fd} for {@link #reopen}, or answers a negative errno without /proc. */
    public static int openProcSelfFd() {
        return Platform.LINUX ? openat(AT_FDCWD, "/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC) : -Errno.ENOENT;
    }

    /**
     * Opens the file that {@code fd} (typically an {@code O_PATH} descriptor) refers to again, through
     * {@code /proc/self/fd}: a second, readable descriptor of the same inode without resolving any name again.
     *
     * @param procSelfFd a descriptor of {@code /proc/self/fd} from {@link #openProcSelfFd()}, through which the
     *                   kernel resolves one name instead of three, or a negative number to go through the whole
     *                   path
     * @return a descriptor, or a negative errno; {@code -ENOENT} means that {@code /proc} is not mounted, and is
     *         the answer on macOS, which has no {@code /proc} (its {@code /dev/fd} duplicates, it does not reopen)
     */
    public static int reopen(int procSelfFd, int fd, int flags) {
        if (fd < 0) {
            return -Errno.EBADF;
        }
        if (!Platform.LINUX) {
            return -Errno.ENOENT;
        }
        Ffm.Scratch s = Ffm.scratch();
        MemorySegment procPath = s.procPath();
        int digits = 1;
        for (int v = fd; v >= 10; v /= 10) {
            digits++;
        }
        long end = PROC_SELF_FD.length + digits;
        procPath.set(JAVA_BYTE, end, (byte) 0);
        for (int v = fd; digits > 0; digits--, v /= 10) {
            procPath.set(JAVA_BYTE, PROC_SELF_FD.length + digits - 1, (byte) ('0' + v % 10));
        }
        return procSelfFd >= 0 ? openat(s, procSelfFd, s.procName(), flags) : openat(s, AT_FDCWD, procPath, flags);
    }

    /** The memory {@link #reopen} builds its path in, {@code /proc/self/fd/} already written. */
    static MemorySegment newProcPath() {
        MemorySegment path = Arena.ofAuto().allocate(PROC_PATH_SIZE, 8);
        MemorySegment.copy(PROC_SELF_FD, 0, path, JAVA_BYTE, 0, PROC_SELF_FD.length);
        return path;
    }

    /** The digits after {@code /proc/self/fd/} in a {@link #newProcPath()}. */
    static MemorySegment procName(MemorySegment procPath) {
        return procPath.asSlice(PROC_SELF_FD.length);
    }

    /**
     * {@code readlinkat(2)} of {@code path[offset, offset + length)} (empty: {@code dirfd} itself, an
     * {@code O_PATH} descriptor of a symlink) into {@code target}.
     *
     * @return the target's length, or a negative errno; {@code -ENAMETOOLONG} if it does not fit {@code target}
     */
    public static int readlinkat(int dirfd, byte[] path, int offset, int length, byte[] target) {
        Ffm.Scratch s = Ffm.scratch();
        if (!s.setPath(path, offset, length)) {
            return -Errno.ENAMETOOLONG;
        }
        long capacity = Math.min(target.length, s.link.byteSize());
        long r;
        try {
            r = (long) Readlinkat.HANDLE.invokeExact(s.errno, dirfd, s.path, s.link, capacity);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
        if (r < 0) {
            return (int) r;
        }
        if (r == capacity) { // readlink truncates silently
            return -Errno.ENAMETOOLONG;
        }
        MemorySegment.copy(s.link, JAVA_BYTE, 0, target, 0, (int) r);
        return (int) r;
    }
}
