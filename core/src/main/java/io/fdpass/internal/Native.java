package io.fdpass.internal;

import io.netty.util.concurrent.FastThreadLocal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The system calls that Netty's natives lack, bound with the FFM API so that fdpass ships no native library.
 *
 * <p>Like Netty's natives, every call returns its result or a <em>negative errno</em>: these run on event loops at
 * a high rate, where exceptions for expected failures (a missing file) would cost more than the call. Native
 * memory for arguments comes from a per-thread scratch area, so a call allocates nothing.
 *
 * <p>Linux on x86_64 and aarch64 only, for now: both use the generic {@code O_*} and errno values. The class
 * loads everywhere; elsewhere its methods throw {@link UnsupportedOperationException}. The values that differ by
 * OS are set in one place (the static block below) so that a Darwin port adds a branch there, and its bindings.
 */
public final class Native {
    private static final String OS = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    private static final String ARCH = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    private static final boolean DARWIN = OS.startsWith("mac") || OS.startsWith("darwin");
    /** Whether this class's bindings exist here. */
    public static final boolean LINUX = OS.startsWith("linux")
            && (ARCH.equals("amd64") || ARCH.equals("x86_64") || ARCH.equals("aarch64"));

    // The errno values 1..34 come from V7 Unix: the same on Linux, macOS and the BSDs.
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int EACCES = 13;
    public static final int EXDEV = 18;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOTTY = 25;

    public static final int EAGAIN;
    public static final int ENAMETOOLONG;
    public static final int ENOSYS;
    public static final int ELOOP;

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
    public static final long RESOLVE_NO_MAGICLINKS = 0x02;
    public static final long RESOLVE_NO_SYMLINKS = 0x04;
    public static final long RESOLVE_BENEATH = 0x08;
    public static final int AT_EMPTY_PATH = 0x1000;

    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int FD_CLOEXEC = 1;

    /** The longest path the kernel takes, with its NUL. */
    public static final int PATH_MAX = 4096;

    /** The length of the array that {@link #statx} fills. */
    public static final int STAT_LENGTH = 4;
    public static final int STAT_MODE = 0;
    public static final int STAT_SIZE = 1;
    public static final int STAT_INO = 2;
    public static final int STAT_DEV = 3;

    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;

    static {
        if (DARWIN) {
            // <sys/errno.h>, <sys/fcntl.h>: for the Darwin port, which also has no O_PATH.
            EAGAIN = 35;
            ENAMETOOLONG = 63;
            ENOSYS = 78;
            ELOOP = 62;
            O_PATH = 0;
            O_CLOEXEC = 0x1000000;
            O_NOCTTY = 0x20000;
            O_NONBLOCK = 0x4;
            O_DIRECTORY = 0x100000;
            O_NOFOLLOW = 0x100;
            AT_FDCWD = -2;
        } else {
            // Linux, <asm-generic/errno.h> and <asm-generic/fcntl.h>: x86_64 and aarch64 use the generic values.
            EAGAIN = 11;
            ENAMETOOLONG = 36;
            ENOSYS = 38;
            ELOOP = 40;
            O_PATH = 010000000;
            O_CLOEXEC = 02000000;
            O_NOCTTY = 0400;
            O_NONBLOCK = 04000;
            O_DIRECTORY = 0200000;
            O_NOFOLLOW = 0400000;
            AT_FDCWD = -100;
        }
    }

    private static final long SYS_OPENAT2 = 437; // the same on every architecture (syscalls 424+ are unified)
    private static final long OPEN_HOW_SIZE = 24; // struct open_how { u64 flags, mode, resolve; }
    private static final long SIOCOUTQ = 0x5411; // = TIOCOUTQ
    private static final int STATX_BASIC = 0x0001 | 0x0002 | 0x0100 | 0x0200; // TYPE | MODE | INO | SIZE
    // struct statx is the same on every Linux architecture.
    private static final long STX_MODE = 28;
    private static final long STX_INO = 32;
    private static final long STX_SIZE = 40;
    private static final long STX_DEV_MAJOR = 136;
    private static final long STX_DEV_MINOR = 140;
    private static final long STATX_SIZE = 256;
    // struct statfs on 64-bit Linux: 120 bytes, f_type (a long) first.
    private static final long STATFS_SIZE = 128;

    /** Heap buffers are read through a native buffer of this size, so a call transfers at most this much. */
    public static final int HEAP_READ_CHUNK = 64 * 1024;

    private static final Linker LINKER = LINUX ? Linker.nativeLinker() : null;
    private static final VarHandle ERRNO =
            Linker.Option.captureStateLayout().varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final long ERRNO_SIZE = Linker.Option.captureStateLayout().byteSize();

    private static final MethodHandle SYSCALL_4 = bind("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), 1);
    private static final MethodHandle OPENAT = bind("openat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 3);
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle STATX = bind("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), -1);
    private static final MethodHandle FCNTL = bind("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle IOCTL = bind("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
    private static final MethodHandle READ = bind("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle PREAD = bind("pread",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), -1);
    private static final MethodHandle FSTATFS = bind("fstatfs",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), -1);
    private static final MethodHandle MMAP = bind("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), -1);
    private static final MethodHandle MUNMAP = bind("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle READLINKAT = bind("readlinkat",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), -1);

    private static final byte[] PROC_SELF_FD = "/proc/self/fd/".getBytes(StandardCharsets.US_ASCII);

    private static final FastThreadLocal<Scratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    private Native() {
    }

    /**
     * Opens {@code path} relative to {@code dirfd} with {@code openat2(2)}: the only way to have the kernel itself
     * keep a resolution beneath a directory ({@link #RESOLVE_BENEATH}), which no check in user space can do
     * without races.
     *
     * @param path the path, without a terminating NUL and with none inside
     * @return a descriptor, or a negative errno ({@code -ENOSYS} before Linux 5.6)
     */
    public static int openat2(int dirfd, byte[] path, long flags, long resolve) {
        MethodHandle handle = check(SYSCALL_4, "openat2");
        Scratch s = scratch();
        if (!s.setPath(path, 0, path.length)) {
            return -ENAMETOOLONG;
        }
        s.how.set(JAVA_LONG, 0, flags);
        s.how.set(JAVA_LONG, 8, 0L);
        s.how.set(JAVA_LONG, 16, resolve);
        try {
            long r = (long) handle.invokeExact(s.errno, SYS_OPENAT2, (long) dirfd, s.path, s.how, OPEN_HOW_SIZE);
            return r < 0 ? -s.errno() : (int) r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int openat2(int dirfd, String path, long flags, long resolve) {
        return openat2(dirfd, path.getBytes(StandardCharsets.UTF_8), flags, resolve);
    }

    /** {@code openat(2)} of {@code path[offset, offset + length)}; a descriptor or a negative errno. */
    public static int openat(int dirfd, byte[] path, int offset, int length, int flags) {
        MethodHandle handle = check(OPENAT, "openat");
        Scratch s = scratch();
        if (!s.setPath(path, offset, length)) {
            return -ENAMETOOLONG;
        }
        return openat(handle, s, dirfd, s.path, flags);
    }

    public static int openat(int dirfd, String path, int flags) {
        byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        return openat(dirfd, bytes, 0, bytes.length, flags);
    }

    /**
     * Opens the file that {@code fd} (typically an {@code O_PATH} descriptor) refers to again, through
     * {@code /proc/self/fd}: a second, readable descriptor of the same inode without resolving any name again.
     *
     * @return a descriptor, or a negative errno; {@code -ENOENT} means that {@code /proc} is not mounted
     */
    public static int reopen(int fd, int flags) {
        MethodHandle handle = check(OPENAT, "openat");
        if (fd < 0) {
            return -EBADF;
        }
        Scratch s = scratch();
        int digits = 1;
        for (int v = fd; v >= 10; v /= 10) {
            digits++;
        }
        long end = PROC_SELF_FD.length + digits;
        s.procPath.set(JAVA_BYTE, end, (byte) 0);
        for (int v = fd; digits > 0; digits--, v /= 10) {
            s.procPath.set(JAVA_BYTE, PROC_SELF_FD.length + digits - 1, (byte) ('0' + v % 10));
        }
        return openat(handle, s, AT_FDCWD, s.procPath, flags);
    }

    private static int openat(MethodHandle handle, Scratch s, int dirfd, MemorySegment path, int flags) {
        try {
            int r = (int) handle.invokeExact(s.errno, dirfd, path, flags, 0);
            return r < 0 ? -s.errno() : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Not retried on {@code EINTR}: Linux releases the descriptor even then, and a retry could close one that
     * another thread has just been given.
     *
     * @return 0 or a negative errno
     */
    public static int close(int fd) {
        MethodHandle handle = check(CLOSE, "close");
        Scratch s = scratch();
        try {
            int r = (int) handle.invokeExact(s.errno, fd);
            return r < 0 ? -s.errno() : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code statx(2)} of the descriptor itself ({@code AT_EMPTY_PATH}), which works on {@code O_PATH}
     * descriptors too; statx rather than fstat because its layout is the same on every Linux architecture.
     *
     * @param out receives {@link #STAT_MODE} (type and permission bits), {@link #STAT_SIZE}, {@link #STAT_INO}
     *            and {@link #STAT_DEV} (major in the high 32 bits, minor in the low)
     * @return 0 or a negative errno
     */
    public static int statx(int fd, long[] out) {
        MethodHandle handle = check(STATX, "statx");
        Scratch s = scratch();
        try {
            int r = (int) handle.invokeExact(s.errno, fd, s.emptyPath, AT_EMPTY_PATH, STATX_BASIC, s.stat);
            if (r < 0) {
                return -s.errno();
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
        out[STAT_MODE] = s.stat.get(JAVA_SHORT, STX_MODE) & 0xFFFF;
        out[STAT_SIZE] = s.stat.get(JAVA_LONG, STX_SIZE);
        out[STAT_INO] = s.stat.get(JAVA_LONG, STX_INO);
        out[STAT_DEV] = (Integer.toUnsignedLong(s.stat.get(JAVA_INT, STX_DEV_MAJOR)) << 32)
                | Integer.toUnsignedLong(s.stat.get(JAVA_INT, STX_DEV_MINOR));
        return 0;
    }

    public static boolean isRegular(long mode) {
        return (mode & S_IFMT) == S_IFREG;
    }

    public static boolean isDirectory(long mode) {
        return (mode & S_IFMT) == S_IFDIR;
    }

    public static boolean isSymlink(long mode) {
        return (mode & S_IFMT) == S_IFLNK;
    }

    /** The descriptor flags ({@code F_GETFD}), or a negative errno. */
    public static int getFdFlags(int fd) {
        return fcntl(fd, F_GETFD, 0);
    }

    /** Adds {@link #FD_CLOEXEC}, keeping the other descriptor flags; 0 or a negative errno. */
    public static int setCloexec(int fd) {
        int flags = fcntl(fd, F_GETFD, 0);
        if (flags < 0) {
            return flags;
        }
        if ((flags & FD_CLOEXEC) != 0) {
            return 0;
        }
        int r = fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
        return r < 0 ? r : 0;
    }

    /** The file status flags and access mode ({@code F_GETFL}), or a negative errno. */
    public static int getStatusFlags(int fd) {
        return fcntl(fd, F_GETFL, 0);
    }

    private static int fcntl(int fd, int cmd, int arg) {
        MethodHandle handle = check(FCNTL, "fcntl");
        Scratch s = scratch();
        try {
            int r = (int) handle.invokeExact(s.errno, fd, cmd, arg);
            return r < 0 ? -s.errno() : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final int PROT_READ = 1;
    private static final int MAP_SHARED = 1;
    private static final long MAP_FAILED = -1;

    /**
     * Maps {@code length} bytes of {@code fd} from offset 0, read-only and shared ({@code mmap(2)}).
     *
     * @return the mapping's address, or a negative errno
     */
    public static long mmap(int fd, long length) {
        MethodHandle handle = check(MMAP, "mmap");
        Scratch s = scratch();
        try {
            MemorySegment address = (MemorySegment) handle.invokeExact(s.errno, MemorySegment.NULL, length,
                    PROT_READ, MAP_SHARED, fd, 0L);
            return address.address() == MAP_FAILED ? -s.errno() : address.address();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Unmaps what {@link #mmap} mapped; 0 or a negative errno. */
    public static int munmap(long address, long length) {
        MethodHandle handle = check(MUNMAP, "munmap");
        Scratch s = scratch();
        try {
            int r = (int) handle.invokeExact(s.errno, MemorySegment.ofAddress(address), length);
            return r < 0 ? -s.errno() : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * What the socket's send queue holds that the peer has not read ({@code SIOCOUTQ}). For a Unix socket the
     * kernel counts the memory of the queued buffers, not their payload: 0 means that the peer read everything.
     *
     * @return bytes, or a negative errno
     */
    public static int socketOutq(int socketFd) {
        MethodHandle handle = check(IOCTL, "ioctl");
        Scratch s = scratch();
        try {
            int r = (int) handle.invokeExact(s.errno, socketFd, SIOCOUTQ, s.word);
            return r < 0 ? -s.errno() : s.word.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Reads up to {@code length} bytes into the start of {@code dst}, a native segment, retrying on EINTR.
     *
     * @return the bytes read (0 at end of file), or a negative errno
     */
    public static long read(int fd, MemorySegment dst, long length) {
        return read(check(READ, "read"), fd, dst, length, -1);
    }

    /** Like {@link #read(int, MemorySegment, long)} at {@code offset}, not moving the file offset. */
    public static long pread(int fd, MemorySegment dst, long length, long offset) {
        if (offset < 0) {
            return -EINVAL;
        }
        return read(check(PREAD, "pread"), fd, dst, length, offset);
    }

    /**
     * Reads into {@code dst} from its position up to its limit and advances its position; a heap buffer takes at
     * most {@link #HEAP_READ_CHUNK} bytes per call.
     *
     * @return the bytes read (0 at end of file), or a negative errno
     */
    public static long read(int fd, ByteBuffer dst) {
        return read(check(READ, "read"), fd, dst, -1);
    }

    /** Like {@link #read(int, ByteBuffer)} at {@code offset}, not moving the file offset. */
    public static long pread(int fd, ByteBuffer dst, long offset) {
        if (offset < 0) {
            return -EINVAL;
        }
        return read(check(PREAD, "pread"), fd, dst, offset);
    }

    /** {@code read(2)} when {@code offset} is negative, else {@code pread(2)}. */
    private static long read(MethodHandle handle, int fd, ByteBuffer dst, long offset) {
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("dst: read-only buffer");
        }
        int position = dst.position();
        long n;
        if (dst.isDirect()) {
            n = read(handle, fd, MemorySegment.ofBuffer(dst), dst.remaining(), offset);
        } else {
            MemorySegment bounce = scratch().bounce();
            n = read(handle, fd, bounce, Math.min(dst.remaining(), HEAP_READ_CHUNK), offset);
            if (n > 0) {
                MemorySegment.copy(bounce, JAVA_BYTE, 0, dst.array(), dst.arrayOffset() + position, (int) n);
            }
        }
        if (n > 0) {
            dst.position(position + (int) n);
        }
        return n;
    }

    /** {@code read(2)} when {@code offset} is negative, else {@code pread(2)}. */
    private static long read(MethodHandle handle, int fd, MemorySegment dst, long length, long offset) {
        if (!dst.isNative() || length < 0 || length > dst.byteSize()) {
            throw new IllegalArgumentException("dst: " + dst + ", length: " + length
                    + " (expected: a native segment of at least length bytes)");
        }
        Scratch s = scratch();
        try {
            for (;;) {
                long r = offset < 0 ? (long) handle.invokeExact(s.errno, fd, dst, length)
                        : (long) handle.invokeExact(s.errno, fd, dst, length, offset);
                if (r >= 0) {
                    return r;
                }
                int errno = s.errno();
                if (errno != EINTR) {
                    return -errno;
                }
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code readlinkat(2)} of {@code path[offset, offset + length)} (empty: {@code dirfd} itself, an
     * {@code O_PATH} descriptor of a symlink) into {@code target}.
     *
     * @return the target's length, or a negative errno; {@code -ENAMETOOLONG} if it does not fit {@code target}
     */
    public static int readlinkat(int dirfd, byte[] path, int offset, int length, byte[] target) {
        MethodHandle handle = check(READLINKAT, "readlinkat");
        Scratch s = scratch();
        if (!s.setPath(path, offset, length)) {
            return -ENAMETOOLONG;
        }
        long capacity = Math.min(target.length, s.link.byteSize());
        try {
            long r = (long) handle.invokeExact(s.errno, dirfd, s.path, s.link, capacity);
            if (r < 0) {
                return -s.errno();
            }
            if (r == capacity) { // readlink truncates silently
                return -ENAMETOOLONG;
            }
            MemorySegment.copy(s.link, JAVA_BYTE, 0, target, 0, (int) r);
            return (int) r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The filesystem type ({@code f_type} of {@code fstatfs(2)}, such as 0xEF53 for ext4), or a negative errno. */
    public static long fstatfsType(int fd) {
        MethodHandle handle = check(FSTATFS, "fstatfs");
        Scratch s = scratch();
        try {
            int r = (int) handle.invokeExact(s.errno, fd, s.stat);
            return r < 0 ? -s.errno() : s.stat.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A name and description for messages, such as {@code "ENOENT (No such file or directory)"}. */
    public static String strerror(int errno) {
        int e = Math.abs(errno);
        String text = ERRNO_TEXT.get(e);
        return text != null ? text : "errno " + e;
    }

    private static final Map<Integer, String> ERRNO_TEXT = Map.ofEntries(
            Map.entry(EPERM, "EPERM (Operation not permitted)"),
            Map.entry(ENOENT, "ENOENT (No such file or directory)"),
            Map.entry(EINTR, "EINTR (Interrupted system call)"),
            Map.entry(EIO, "EIO (Input/output error)"),
            Map.entry(ENXIO, "ENXIO (No such device or address)"),
            Map.entry(EBADF, "EBADF (Bad file descriptor)"),
            Map.entry(EACCES, "EACCES (Permission denied)"),
            Map.entry(EXDEV, "EXDEV (Invalid cross-device link)"),
            Map.entry(ENODEV, "ENODEV (No such device)"),
            Map.entry(ENOTDIR, "ENOTDIR (Not a directory)"),
            Map.entry(EISDIR, "EISDIR (Is a directory)"),
            Map.entry(EINVAL, "EINVAL (Invalid argument)"),
            Map.entry(ENFILE, "ENFILE (Too many open files in system)"),
            Map.entry(EMFILE, "EMFILE (Too many open files)"),
            Map.entry(ENOTTY, "ENOTTY (Inappropriate ioctl for device)"),
            Map.entry(EAGAIN, "EAGAIN (Resource temporarily unavailable)"),
            Map.entry(ENAMETOOLONG, "ENAMETOOLONG (File name too long)"),
            Map.entry(ENOSYS, "ENOSYS (Function not implemented)"),
            Map.entry(ELOOP, "ELOOP (Too many levels of symbolic links)"));

    @SuppressWarnings("restricted") // the descriptors above match the C prototypes
    private static MethodHandle bind(String name, FunctionDescriptor descriptor, int firstVariadicArg) {
        if (LINKER == null) {
            return null;
        }
        MemorySegment address = LINKER.defaultLookup().find(name).orElse(null);
        if (address == null) {
            return null;
        }
        Linker.Option errno = Linker.Option.captureCallState("errno");
        return firstVariadicArg < 0 ? LINKER.downcallHandle(address, descriptor, errno)
                : LINKER.downcallHandle(address, descriptor, errno, Linker.Option.firstVariadicArg(firstVariadicArg));
    }

    private static MethodHandle check(MethodHandle handle, String function) {
        if (handle == null) {
            throw new UnsupportedOperationException(function + " is not available on "
                    + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
        }
        return handle;
    }

    private static Scratch scratch() {
        return SCRATCH.get();
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t); // downcall handles throw nothing checked
    }

    /**
     * One thread's argument memory. Freed with the thread: its arena is automatic, and only this object refers
     * to it. No call above keeps a slice across another call, so the slices can be reused by every call.
     */
    private static final class Scratch {
        final MemorySegment errno;
        final MemorySegment how;
        final MemorySegment stat;
        final MemorySegment word;
        final MemorySegment emptyPath;
        final MemorySegment procPath;
        final MemorySegment path;
        final MemorySegment link;
        private MemorySegment bounce;

        Scratch() {
            long errnoSize = (ERRNO_SIZE + 7) & ~7L;
            long procSize = 32; // "/proc/self/fd/" + 10 digits + NUL
            MemorySegment all = Arena.ofAuto().allocate(
                    errnoSize + OPEN_HOW_SIZE + STATX_SIZE + 8 + 8 + procSize + PATH_MAX + PATH_MAX, 8);
            long offset = 0;
            errno = all.asSlice(offset, errnoSize);
            how = all.asSlice(offset += errnoSize, OPEN_HOW_SIZE);
            stat = all.asSlice(offset += OPEN_HOW_SIZE, Math.max(STATX_SIZE, STATFS_SIZE));
            word = all.asSlice(offset += STATX_SIZE, 8);
            emptyPath = all.asSlice(offset += 8, 8); // zeroed: ""
            procPath = all.asSlice(offset += 8, procSize);
            path = all.asSlice(offset += procSize, PATH_MAX);
            link = all.asSlice(offset + PATH_MAX, PATH_MAX);
            MemorySegment.copy(PROC_SELF_FD, 0, procPath, JAVA_BYTE, 0, PROC_SELF_FD.length);
        }

        int errno() {
            return (int) ERRNO.get(errno, 0L);
        }

        /** Copies a path with its NUL; false if the kernel would refuse it as too long. */
        boolean setPath(byte[] src, int offset, int length) {
            if (length >= PATH_MAX) {
                return false;
            }
            MemorySegment.copy(src, offset, path, JAVA_BYTE, 0, length);
            path.set(JAVA_BYTE, length, (byte) 0);
            return true;
        }

        MemorySegment bounce() {
            MemorySegment b = bounce;
            if (b == null) {
                bounce = b = Arena.ofAuto().allocate(HEAP_READ_CHUNK, 8);
            }
            return b;
        }
    }
}
