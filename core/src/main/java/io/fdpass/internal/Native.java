package io.fdpass.internal;

import io.netty.util.concurrent.FastThreadLocal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
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
 * <p>Linux and macOS, each on x86_64 and aarch64: where Netty ships epoll and kqueue natives. The class loads
 * everywhere; elsewhere its methods throw {@link UnsupportedOperationException}. The values that differ by OS are
 * set in one place, the static block below; the calls that exist on one OS only say so, and throw
 * {@link UnsupportedOperationException} on the other: {@link #openat2}, {@link #fstatfsType} (Linux),
 * {@link #fstatfsTypeName} (macOS).
 */
public final class Native {
    private static final String OS = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    private static final String ARCH = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    private static final boolean X86_64 = ARCH.equals("amd64") || ARCH.equals("x86_64");
    private static final boolean AARCH64 = ARCH.equals("aarch64");
    /** Linux on x86_64 or aarch64. */
    public static final boolean LINUX = OS.startsWith("linux") && (X86_64 || AARCH64);
    /** macOS on x86_64 or aarch64. */
    public static final boolean DARWIN = (OS.startsWith("mac") || OS.startsWith("darwin")) && (X86_64 || AARCH64);
    /** Whether this class's bindings exist here. */
    public static final boolean AVAILABLE = LINUX || DARWIN;

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
    /** What macOS answers for opening a socket, where Linux answers {@link #ENXIO}. */
    public static final int EOPNOTSUPP;

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

    // The same on Linux and macOS.
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int FD_CLOEXEC = 1;

    /**
     * The longest name the openers take, with its NUL: Linux's PATH_MAX. (macOS's is 1024, but the walk that
     * serves there passes the kernel one component at a time.)
     */
    public static final int PATH_MAX = 4096;

    /** The length of the array that {@link #fstat} fills. */
    public static final int STAT_LENGTH = 4;
    public static final int STAT_MODE = 0;
    public static final int STAT_SIZE = 1;
    public static final int STAT_INO = 2;
    public static final int STAT_DEV = 3;

    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;

    // Linux's structures, the same on every architecture: struct open_how { u64 flags, mode, resolve; } and
    // struct statx. (struct statfs differs by architecture, but x86_64 and aarch64 both take the generic
    // 120-byte one, f_type, a long, first.)
    private static final long OPEN_HOW_SIZE = 24;
    private static final long STX_MODE = 28;
    private static final long STX_INO = 32;
    private static final long STX_SIZE = 40;
    private static final long STX_DEV_MAJOR = 136;
    private static final long STX_DEV_MINOR = 140;
    private static final long STATX_SIZE = 256;

    /*
     * Darwin's structures, from xnu's headers, for LP64: x86_64 and arm64 share them. They are declared as layouts
     * so that FFM checks every member's alignment (padding left out would fail here, on any OS), and
     * DarwinLayoutTest checks the offsets read below against the header's. Only a run of the tests on macOS
     * (NativeTest, PortableWalkingOpenerTest and the kqueue behaviour suite) checks them against a kernel.
     */
    private static final StructLayout TIMESPEC = structLayout(JAVA_LONG.withName("tv_sec"),
            JAVA_LONG.withName("tv_nsec"));
    /**
     * {@code struct stat} with 64-bit inodes ({@code __DARWIN_STRUCT_STAT64} in {@code <sys/stat.h>}): the only one
     * on arm64, and on x86_64 the one that {@code fstat$INODE64} fills (plain {@code fstat} keeps the layout of
     * Mac OS X 10.5, with 32-bit inodes, for old binaries).
     */
    static final StructLayout DARWIN_STAT = structLayout(
            JAVA_INT.withName("st_dev"), // dev_t
            JAVA_SHORT.withName("st_mode"), // mode_t
            JAVA_SHORT.withName("st_nlink"), // nlink_t
            JAVA_LONG.withName("st_ino"), // __darwin_ino64_t
            JAVA_INT.withName("st_uid"),
            JAVA_INT.withName("st_gid"),
            JAVA_INT.withName("st_rdev"),
            paddingLayout(4),
            sequenceLayout(4, TIMESPEC).withName("st_times"), // st_atimespec, _mtimespec, _ctimespec, _birthtimespec
            JAVA_LONG.withName("st_size"), // off_t
            JAVA_LONG.withName("st_blocks"),
            JAVA_INT.withName("st_blksize"),
            JAVA_INT.withName("st_flags"),
            JAVA_INT.withName("st_gen"),
            JAVA_INT.withName("st_lspare"),
            sequenceLayout(2, JAVA_LONG).withName("st_qspare"));
    /** {@code struct statfs} with 64-bit inodes ({@code __DARWIN_STRUCT_STATFS64} in {@code <sys/mount.h>}). */
    static final StructLayout DARWIN_STATFS = structLayout(
            JAVA_INT.withName("f_bsize"),
            JAVA_INT.withName("f_iosize"),
            JAVA_LONG.withName("f_blocks"),
            JAVA_LONG.withName("f_bfree"),
            JAVA_LONG.withName("f_bavail"),
            JAVA_LONG.withName("f_files"),
            JAVA_LONG.withName("f_ffree"),
            sequenceLayout(2, JAVA_INT).withName("f_fsid"),
            JAVA_INT.withName("f_owner"),
            JAVA_INT.withName("f_type"),
            JAVA_INT.withName("f_flags"),
            JAVA_INT.withName("f_fssubtype"),
            sequenceLayout(16, JAVA_BYTE).withName("f_fstypename"), // MFSTYPENAMELEN, NUL included
            sequenceLayout(1024, JAVA_BYTE).withName("f_mntonname"), // MAXPATHLEN
            sequenceLayout(1024, JAVA_BYTE).withName("f_mntfromname"),
            JAVA_INT.withName("f_flags_ext"),
            sequenceLayout(7, JAVA_INT).withName("f_reserved"));
    private static final StructLayout SOCKBUF_INFO = structLayout(
            JAVA_INT.withName("sbi_cc"),
            JAVA_INT.withName("sbi_hiwat"),
            JAVA_INT.withName("sbi_mbcnt"),
            JAVA_INT.withName("sbi_mbmax"),
            JAVA_INT.withName("sbi_lowat"),
            JAVA_SHORT.withName("sbi_flags"),
            JAVA_SHORT.withName("sbi_timeo"));
    /**
     * {@code struct socket_fdinfo} of {@code <sys/proc_info.h>}, what {@code proc_pidfdinfo(PROC_PIDFDSOCKETINFO)}
     * fills: {@code struct proc_fileinfo}, then {@code struct socket_info}.
     */
    static final StructLayout DARWIN_SOCKET_FDINFO = structLayout(
            structLayout(
                    JAVA_INT.withName("fi_openflags"),
                    JAVA_INT.withName("fi_status"),
                    JAVA_LONG.withName("fi_offset"),
                    JAVA_INT.withName("fi_type"),
                    JAVA_INT.withName("fi_guardflags")).withName("pfi"),
            structLayout(
                    structLayout( // struct vinfo_stat
                            JAVA_INT.withName("vst_dev"),
                            JAVA_SHORT.withName("vst_mode"),
                            JAVA_SHORT.withName("vst_nlink"),
                            JAVA_LONG.withName("vst_ino"),
                            JAVA_INT.withName("vst_uid"),
                            JAVA_INT.withName("vst_gid"),
                            sequenceLayout(8, JAVA_LONG).withName("vst_times"), // a, m, c, birth: sec and nsec
                            JAVA_LONG.withName("vst_size"),
                            JAVA_LONG.withName("vst_blocks"),
                            JAVA_INT.withName("vst_blksize"),
                            JAVA_INT.withName("vst_flags"),
                            JAVA_INT.withName("vst_gen"),
                            JAVA_INT.withName("vst_rdev"),
                            sequenceLayout(2, JAVA_LONG).withName("vst_qspare")).withName("soi_stat"),
                    JAVA_LONG.withName("soi_so"),
                    JAVA_LONG.withName("soi_pcb"),
                    JAVA_INT.withName("soi_type"),
                    JAVA_INT.withName("soi_protocol"),
                    JAVA_INT.withName("soi_family"),
                    JAVA_SHORT.withName("soi_options"),
                    JAVA_SHORT.withName("soi_linger"),
                    JAVA_SHORT.withName("soi_state"),
                    JAVA_SHORT.withName("soi_qlen"),
                    JAVA_SHORT.withName("soi_incqlen"),
                    JAVA_SHORT.withName("soi_qlimit"),
                    JAVA_SHORT.withName("soi_timeo"),
                    JAVA_SHORT.withName("soi_error"),
                    JAVA_INT.withName("soi_oobmark"),
                    SOCKBUF_INFO.withName("soi_rcv"),
                    SOCKBUF_INFO.withName("soi_snd"),
                    JAVA_INT.withName("soi_kind"),
                    JAVA_INT.withName("rfu_1"),
                    // A union; its largest member, struct un_sockinfo (2 x u64, 2 x 255 bytes), takes 528 bytes.
                    sequenceLayout(66, JAVA_LONG).withName("soi_proto")).withName("psi"));

    private static final long ST_DEV = DARWIN_STAT.byteOffset(groupElement("st_dev"));
    private static final long ST_MODE = DARWIN_STAT.byteOffset(groupElement("st_mode"));
    private static final long ST_INO = DARWIN_STAT.byteOffset(groupElement("st_ino"));
    private static final long ST_SIZE = DARWIN_STAT.byteOffset(groupElement("st_size"));
    private static final long F_FSTYPENAME = DARWIN_STATFS.byteOffset(groupElement("f_fstypename"));
    private static final int MFSTYPENAMELEN = 16;
    private static final long SOI_FAMILY = DARWIN_SOCKET_FDINFO.byteOffset(groupElement("psi"),
            groupElement("soi_family"));
    private static final long SOI_SND = DARWIN_SOCKET_FDINFO.byteOffset(groupElement("psi"),
            groupElement("soi_snd"));
    private static final long SBI_CC = SOI_SND + SOCKBUF_INFO.byteOffset(groupElement("sbi_cc"));
    private static final long SBI_HIWAT = SOI_SND + SOCKBUF_INFO.byteOffset(groupElement("sbi_hiwat"));
    private static final long SBI_MBCNT = SOI_SND + SOCKBUF_INFO.byteOffset(groupElement("sbi_mbcnt"));
    private static final long SBI_MBMAX = SOI_SND + SOCKBUF_INFO.byteOffset(groupElement("sbi_mbmax"));

    /** The size of each thread's buffer for the structures above: the largest that this OS's calls fill. */
    private static final long STRUCT_BUFFER;
    /** x86_64 Darwin names the 64-bit-inode {@code fstat} and {@code fstatfs} so; arm64 has only those. */
    private static final String INODE64;

    static {
        if (DARWIN) {
            // xnu's <sys/errno.h> and <sys/fcntl.h>, the same on x86_64 and arm64. No O_PATH.
            EAGAIN = 35;
            ENAMETOOLONG = 63;
            ENOSYS = 78;
            ELOOP = 62;
            EOPNOTSUPP = 102;
            O_PATH = 0;
            O_CLOEXEC = 0x1000000;
            O_NOCTTY = 0x20000;
            O_NONBLOCK = 0x4;
            O_DIRECTORY = 0x100000;
            O_NOFOLLOW = 0x100;
            AT_FDCWD = -2;
            STRUCT_BUFFER = Math.max(DARWIN_STATFS.byteSize(), DARWIN_SOCKET_FDINFO.byteSize());
            INODE64 = X86_64 ? "$INODE64" : "";
        } else {
            // Linux, <asm-generic/errno.h> and <asm-generic/fcntl.h>, but for two flags that aarch64 keeps from
            // 32-bit ARM (arch/arm64/include/uapi/asm/fcntl.h): there, 0200000 and 0400000 mean O_DIRECT and
            // O_LARGEFILE.
            EAGAIN = 11;
            ENAMETOOLONG = 36;
            ENOSYS = 38;
            ELOOP = 40;
            EOPNOTSUPP = 95;
            O_PATH = 010000000;
            O_CLOEXEC = 02000000;
            O_NOCTTY = 0400;
            O_NONBLOCK = 04000;
            O_DIRECTORY = AARCH64 ? 040000 : 0200000;
            O_NOFOLLOW = AARCH64 ? 0100000 : 0400000;
            AT_FDCWD = -100;
            STRUCT_BUFFER = STATX_SIZE; // struct statfs takes 120
            INODE64 = "";
        }
    }

    // Linux only.
    private static final long SYS_OPENAT2 = 437; // the same on every Linux architecture (424+ are unified)
    private static final long SIOCOUTQ = 0x5411; // = TIOCOUTQ
    private static final int STATX_BASIC = 0x0001 | 0x0002 | 0x0100 | 0x0200; // TYPE | MODE | INO | SIZE
    // <sys/socket.h>, 64 bits: struct msghdr, struct iovec, struct cmsghdr (size_t cmsg_len, int level, int type).
    private static final long MSGHDR_SIZE = 56;
    private static final long MSG_IOV = 16;
    private static final long MSG_IOVLEN = 24;
    private static final long MSG_CONTROL = 32;
    private static final long MSG_CONTROLLEN = 40;
    private static final long MSG_FLAGS = 48;
    private static final long IOVEC_SIZE = 16;
    private static final long CMSG_LEVEL = 8;
    private static final long CMSG_TYPE = 12;
    private static final long CMSG_DATA = 16;
    /** CMSG_SPACE of two descriptors: room for one more than a descriptor message may carry, to see that it did. */
    private static final long CONTROL_SIZE = CMSG_DATA + 8;
    private static final int LINUX_SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    // Darwin only: <sys/socket.h>, <sys/proc_info.h>.
    private static final int AF_UNIX = 1;
    private static final int SOL_SOCKET = 0xffff;
    private static final int SO_SNDBUF = 0x1001;
    private static final int PROC_PIDFDSOCKETINFO = 3;
    /**
     * xnu reserves {@code sb_efficiency} (8) times a socket buffer's bytes for its mbufs ({@code sbreserve} in
     * {@code uipc_socket2.c}).
     */
    private static final int SB_EFFICIENCY = 8;
    private static final int PID = DARWIN ? (int) ProcessHandle.current().pid() : 0;

    /** Heap buffers are read through a native buffer of this size, so a call transfers at most this much. */
    public static final int HEAP_READ_CHUNK = 64 * 1024;

    private static final Linker LINKER = AVAILABLE ? Linker.nativeLinker() : null;
    private static final VarHandle ERRNO =
            Linker.Option.captureStateLayout().varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final long ERRNO_SIZE = Linker.Option.captureStateLayout().byteSize();

    // Both OSes, from libc (libSystem on macOS).
    private static final MethodHandle OPENAT = bind("openat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 3);
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle FCNTL = bind("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle READ = bind("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle PREAD = bind("pread",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), -1);
    private static final MethodHandle FSTATFS = bind("fstatfs" + INODE64,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), -1);
    private static final MethodHandle MMAP = bind("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), -1);
    private static final MethodHandle MUNMAP = bind("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle READLINKAT = bind("readlinkat",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), -1);
    // Linux only. openat2 has no libc wrapper everywhere, hence syscall(2): never elsewhere, where 437 is another call.
    private static final MethodHandle SYSCALL_4 = !LINUX ? null : bind("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), 1);
    private static final MethodHandle STATX = !LINUX ? null : bind("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), -1);
    private static final MethodHandle IOCTL = !LINUX ? null : bind("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
    private static final MethodHandle RECVMSG = !LINUX ? null : bind("recvmsg",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), -1);
    // Darwin only.
    private static final MethodHandle FSTAT = !DARWIN ? null : bind("fstat" + INODE64,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), -1);
    private static final MethodHandle GETSOCKOPT = !DARWIN ? null : bind("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), -1);
    private static final MethodHandle PROC_PIDFDINFO = !DARWIN ? null : bind("proc_pidfdinfo",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);

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
     * <p>Linux only.
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

    /** Opens this process's {@code /proc/self/fd} for {@link #reopen}, or answers a negative errno without /proc. */
    public static int openProcSelfFd() {
        return LINUX ? openat(AT_FDCWD, "/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC) : -ENOENT;
    }

    /**
     * Opens the file that {@code fd} (typically an {@code O_PATH} descriptor) refers to again, through
     * {@code /proc/self/fd}: a second, readable descriptor of the same inode without resolving any name again.
     *
     * @param procSelfFd a descriptor of {@code /proc/self/fd} from {@link #openProcSelfFd()}, through which the
     *                   kernel resolves one name instead of three (about 1.5 us less per open), or a negative
     *                   number to go through the whole path
     * @return a descriptor, or a negative errno; {@code -ENOENT} means that {@code /proc} is not mounted, and is
     *         the answer on macOS, which has no {@code /proc} (its {@code /dev/fd} duplicates, it does not reopen)
     */
    public static int reopen(int procSelfFd, int fd, int flags) {
        MethodHandle handle = check(OPENAT, "openat");
        if (fd < 0) {
            return -EBADF;
        }
        if (!LINUX) {
            return -ENOENT;
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
        return procSelfFd >= 0 ? openat(handle, s, procSelfFd, s.procName, flags)
                : openat(handle, s, AT_FDCWD, s.procPath, flags);
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
     * Not retried on {@code EINTR}: Linux and macOS release the descriptor even then, and a retry could close one
     * that another thread has just been given.
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
     * The type, permissions, size, inode and device of the file that {@code fd} refers to: on Linux
     * {@code statx(2)} of the descriptor itself ({@code AT_EMPTY_PATH}), which works on {@code O_PATH} descriptors
     * too and has the same layout on every architecture; on macOS {@code fstat(2)}, see {@code DARWIN_STAT}.
     *
     * @param out receives {@link #STAT_MODE} (type and permission bits), {@link #STAT_SIZE}, {@link #STAT_INO}
     *            and {@link #STAT_DEV} (Linux: major in the high 32 bits, minor in the low; macOS: {@code st_dev}):
     *            compare devices, do not decode them
     * @return 0 or a negative errno
     */
    public static int fstat(int fd, long[] out) {
        MethodHandle handle = check(LINUX ? STATX : FSTAT, LINUX ? "statx" : "fstat");
        Scratch s = scratch();
        try {
            int r = LINUX ? (int) handle.invokeExact(s.errno, fd, s.emptyPath, AT_EMPTY_PATH, STATX_BASIC, s.struct)
                    : (int) handle.invokeExact(s.errno, fd, s.struct);
            if (r < 0) {
                return -s.errno();
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (LINUX) {
            out[STAT_MODE] = s.struct.get(JAVA_SHORT, STX_MODE) & 0xFFFF;
            out[STAT_SIZE] = s.struct.get(JAVA_LONG, STX_SIZE);
            out[STAT_INO] = s.struct.get(JAVA_LONG, STX_INO);
            out[STAT_DEV] = (Integer.toUnsignedLong(s.struct.get(JAVA_INT, STX_DEV_MAJOR)) << 32)
                    | Integer.toUnsignedLong(s.struct.get(JAVA_INT, STX_DEV_MINOR));
        } else {
            darwinStat(s.struct, out);
        }
        return 0;
    }

    /** {@link #fstat}, under its former name, for the callers that still use it. */
    public static int statx(int fd, long[] out) {
        return fstat(fd, out);
    }

    /** Reads a {@link #DARWIN_STAT} into {@code out}, as {@link #fstat} fills it. */
    static void darwinStat(MemorySegment stat, long[] out) {
        out[STAT_MODE] = stat.get(JAVA_SHORT, ST_MODE) & 0xFFFF;
        out[STAT_SIZE] = stat.get(JAVA_LONG, ST_SIZE);
        out[STAT_INO] = stat.get(JAVA_LONG, ST_INO);
        out[STAT_DEV] = Integer.toUnsignedLong(stat.get(JAVA_INT, ST_DEV));
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
        // FD_CLOEXEC is the only descriptor flag (Linux, macOS): set it outright, one call per received descriptor.
        int r = fcntl(fd, F_SETFD, FD_CLOEXEC);
        return r < 0 ? r : 0;
    }

    /** {@link #receiveDescriptor} took a message that carried no descriptor, or more than one (closed). */
    public static final int NOT_ONE_DESCRIPTOR = Integer.MIN_VALUE;
    /** {@link #receiveDescriptor} found the peer's end of stream. */
    public static final int END_OF_STREAM = Integer.MIN_VALUE + 1;

    /**
     * Takes one descriptor message from a Unix stream socket if one is there, without waiting: {@code recvmsg(2)}
     * with a one-byte buffer, {@code MSG_DONTWAIT}, and {@code MSG_CMSG_CLOEXEC}, so the descriptor is close-on-exec
     * from the moment it exists and its file status flags stay as the sender left them (Netty's {@code recvFd} adds
     * {@code O_NONBLOCK} to them and needs one {@code fcntl} more for close-on-exec).
     *
     * <p>Linux only. Whoever calls it must be the socket's only reader at that moment (its event loop).
     *
     * @return the descriptor; a negative errno if nothing was taken ({@code -EAGAIN}: no message there yet);
     *         {@link #END_OF_STREAM}; or {@link #NOT_ONE_DESCRIPTOR} if a message was taken that did not carry
     *         exactly one descriptor (or whose control data was truncated), after closing what it carried
     */
    public static int receiveDescriptor(int socketFd) {
        MethodHandle handle = check(RECVMSG, "recvmsg");
        Scratch s = scratch();
        MemorySegment message = s.message();
        message.set(JAVA_LONG, MSG_CONTROLLEN, CONTROL_SIZE); // the kernel sets it to the length it wrote
        long r;
        try {
            r = (long) handle.invokeExact(s.errno, socketFd, message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r < 0) {
            return -s.errno();
        }
        if (r == 0) {
            return END_OF_STREAM; // a stream socket cannot carry descriptors without a byte
        }
        MemorySegment control = s.control();
        long controlLength = message.get(JAVA_LONG, MSG_CONTROLLEN);
        int descriptors = 0;
        if (controlLength > CMSG_DATA && control.get(JAVA_INT, CMSG_LEVEL) == LINUX_SOL_SOCKET
                && control.get(JAVA_INT, CMSG_TYPE) == SCM_RIGHTS) {
            descriptors = (int) ((Math.min(control.get(JAVA_LONG, 0), controlLength) - CMSG_DATA) / 4);
        }
        if (descriptors == 1 && (message.get(JAVA_INT, MSG_FLAGS) & MSG_CTRUNC) == 0) {
            return control.get(JAVA_INT, CMSG_DATA);
        }
        for (int i = 0; i < descriptors; i++) {
            close(control.get(JAVA_INT, CMSG_DATA + 4L * i));
        }
        return NOT_ONE_DESCRIPTOR;
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
     * How much of the socket's send capacity is taken by what the peer has not read yet: 0 means that the peer
     * read everything; {@code SO_SNDBUF} minus this is the room a send finds.
     *
     * <p>Linux: {@code SIOCOUTQ}, which for a Unix socket counts the kernel memory of the queued buffers, not their
     * payload.
     *
     * <p>macOS: not {@code SO_NWRITE}, which reads the socket's own send buffer, always empty for a Unix stream
     * socket: xnu appends what is sent to the peer's receive buffer, and shrinks the sender's send buffer
     * ({@code sb_hiwat} by the unread bytes, {@code sb_mbmax} by their mbuf memory) until the peer reads. So this
     * reads the shrunk send buffer ({@code proc_pidfdinfo}) and measures the room left as {@code sosend} does
     * ({@code sbspace}: the lesser of bytes and mbuf memory, the latter scaled back by {@code sb_efficiency}),
     * against {@code SO_SNDBUF}, which reports the unshrunk size.
     *
     * @return bytes, or a negative errno
     */
    public static int socketOutq(int socketFd) {
        if (DARWIN) {
            return darwinSocketOutq(socketFd);
        }
        MethodHandle handle = check(IOCTL, "ioctl");
        Scratch s = scratch();
        try {
            int r = (int) handle.invokeExact(s.errno, socketFd, SIOCOUTQ, s.word);
            return r < 0 ? -s.errno() : s.word.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static int darwinSocketOutq(int socketFd) {
        MethodHandle getsockopt = check(GETSOCKOPT, "getsockopt");
        MethodHandle pidfdinfo = check(PROC_PIDFDINFO, "proc_pidfdinfo");
        Scratch s = scratch();
        try {
            s.wordLength.set(JAVA_INT, 0, 4); // socklen_t
            int r = (int) getsockopt.invokeExact(s.errno, socketFd, SOL_SOCKET, SO_SNDBUF, s.word, s.wordLength);
            if (r < 0) {
                return -s.errno();
            }
            int n = (int) pidfdinfo.invokeExact(s.errno, PID, socketFd, PROC_PIDFDSOCKETINFO, s.struct,
                    (int) s.struct.byteSize());
            if (n < DARWIN_SOCKET_FDINFO.byteSize()) { // libproc answers 0 and sets errno
                int errno = s.errno();
                return -(errno != 0 ? errno : EIO);
            }
            return darwinSocketOutq(s.word.get(JAVA_INT, 0), s.struct);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@link #socketOutq} on macOS, from the socket's {@code SO_SNDBUF} and its {@link #DARWIN_SOCKET_FDINFO}.
     *
     * @return bytes, or {@code -EINVAL} if the socket is not a Unix socket (or the structure is not read right)
     */
    static int darwinSocketOutq(int sendBuffer, MemorySegment info) {
        if (info.get(JAVA_INT, SOI_FAMILY) != AF_UNIX) {
            return -EINVAL;
        }
        // Signed and wrapping, as sbspace computes: sb_mbmax, unsigned, wraps below 0 when mbufs overrun it.
        int bytes = info.get(JAVA_INT, SBI_HIWAT) - info.get(JAVA_INT, SBI_CC);
        int mbufs = (info.get(JAVA_INT, SBI_MBMAX) - info.get(JAVA_INT, SBI_MBCNT)) / SB_EFFICIENCY;
        int room = Math.max(0, Math.min(bytes, mbufs));
        return Math.max(0, sendBuffer - room);
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

    /**
     * The filesystem type ({@code f_type} of {@code fstatfs(2)}, such as 0xEF53 for ext4), or a negative errno.
     * Linux only: macOS numbers its filesystem types in the order they registered, see {@link #fstatfsTypeName}.
     */
    public static long fstatfsType(int fd) {
        MethodHandle handle = check(LINUX ? FSTATFS : null, "fstatfs f_type");
        Scratch s = scratch();
        try {
            int r = (int) handle.invokeExact(s.errno, fd, s.struct);
            return r < 0 ? -s.errno() : s.struct.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The filesystem's type name ({@code f_fstypename} of {@code fstatfs(2)}, such as {@code "apfs"}), or null if
     * the call failed. macOS only: Linux has no such name.
     */
    public static String fstatfsTypeName(int fd) {
        MethodHandle handle = check(DARWIN ? FSTATFS : null, "fstatfs f_fstypename");
        Scratch s = scratch();
        try {
            int r = (int) handle.invokeExact(s.errno, fd, s.struct);
            return r < 0 ? null : darwinFsTypeName(s.struct);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The {@code f_fstypename} of a {@link #DARWIN_STATFS}. */
    static String darwinFsTypeName(MemorySegment statfs) {
        int length = 0;
        while (length < MFSTYPENAMELEN && statfs.get(JAVA_BYTE, F_FSTYPENAME + length) != 0) {
            length++;
        }
        byte[] name = new byte[length];
        MemorySegment.copy(statfs, JAVA_BYTE, F_FSTYPENAME, name, 0, length);
        return new String(name, StandardCharsets.US_ASCII);
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
            Map.entry(EOPNOTSUPP, "EOPNOTSUPP (Operation not supported)"),
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
        final MemorySegment struct;
        final MemorySegment word;
        final MemorySegment wordLength;
        final MemorySegment emptyPath;
        final MemorySegment procPath;
        /** The digits after {@code /proc/self/fd/} in {@link #procPath}. */
        final MemorySegment procName;
        final MemorySegment path;
        final MemorySegment link;
        private MemorySegment bounce;
        private MemorySegment message;
        private MemorySegment control;

        Scratch() {
            long errnoSize = (ERRNO_SIZE + 7) & ~7L;
            long structSize = (STRUCT_BUFFER + 7) & ~7L;
            long procSize = 32; // "/proc/self/fd/" + 10 digits + NUL
            MemorySegment all = Arena.ofAuto().allocate(
                    errnoSize + OPEN_HOW_SIZE + structSize + 8 + 8 + 8 + procSize + PATH_MAX + PATH_MAX, 8);
            long offset = 0;
            errno = all.asSlice(offset, errnoSize);
            how = all.asSlice(offset += errnoSize, OPEN_HOW_SIZE);
            struct = all.asSlice(offset += OPEN_HOW_SIZE, structSize);
            word = all.asSlice(offset += structSize, 8);
            wordLength = all.asSlice(offset += 8, 8);
            emptyPath = all.asSlice(offset += 8, 8); // zeroed: ""
            procPath = all.asSlice(offset += 8, procSize);
            procName = procPath.asSlice(PROC_SELF_FD.length);
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

        /** A {@code struct msghdr} for one byte and {@link #CONTROL_SIZE} of control data: see {@link #control()}. */
        MemorySegment message() {
            MemorySegment m = message;
            if (m == null) {
                m = Arena.ofAuto().allocate(MSGHDR_SIZE + IOVEC_SIZE + CONTROL_SIZE + 8, 8);
                MemorySegment iov = m.asSlice(MSGHDR_SIZE, IOVEC_SIZE);
                MemorySegment control = m.asSlice(MSGHDR_SIZE + IOVEC_SIZE, CONTROL_SIZE);
                MemorySegment data = m.asSlice(MSGHDR_SIZE + IOVEC_SIZE + CONTROL_SIZE, 1);
                iov.set(ADDRESS, 0, data);
                iov.set(JAVA_LONG, 8, 1L);
                m.set(ADDRESS, MSG_IOV, iov);
                m.set(JAVA_LONG, MSG_IOVLEN, 1L);
                m.set(ADDRESS, MSG_CONTROL, control);
                message = m;
                this.control = control;
            }
            return m;
        }

        /** The control data of {@link #message()}. */
        MemorySegment control() {
            return control;
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
