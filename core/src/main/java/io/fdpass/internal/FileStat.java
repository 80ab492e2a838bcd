package io.fdpass.internal;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * What a descriptor refers to: {@code statx(2)} on Linux, {@code fstat(2)} on macOS, and {@code fstatfs(2)} of its
 * filesystem. {@link #fstat} fills a {@code long[STAT_LENGTH]}, indexed by the {@code STAT_} constants.
 */
public final class FileStat {
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

    // struct statx, the same on every Linux architecture. (struct statfs differs by architecture, but x86_64 and
    // aarch64 both take the generic 120-byte one of <asm-generic/statfs.h>: f_type, a long, first, f_flags at 80,
    // checked with offsetof on glibc 2.36.)
    private static final long STX_MODE = 28;
    private static final long STX_INO = 32;
    private static final long STX_SIZE = 40;
    private static final long STX_DEV_MAJOR = 136;
    private static final long STX_DEV_MINOR = 140;
    private static final long STX_MASK = 0;
    private static final long STX_MNT_ID = 144;
    static final long STATX_SIZE = 256;
    private static final int STATX_MNT_ID = 0x1000;
    private static final long STATFS_F_TYPE = 0;
    private static final long STATFS_F_FLAGS = 80;

    /**
     * {@code ST_NODEV} in {@link #fstatfsFlags}: the mount refuses to open any device node on it (EACCES), before a
     * driver sees the open.
     */
    public static final long ST_NODEV = 0x0004;
    private static final int STATX_BASIC = 0x0001 | 0x0002 | 0x0100 | 0x0200; // TYPE | MODE | INO | SIZE

    /** x86_64 Darwin names the 64-bit-inode {@code fstat} and {@code fstatfs} so; arm64 has only those. */
    private static final String INODE64 = Platform.DARWIN && Platform.X86_64 ? "$INODE64" : "";

    private static final class Statx {
        static final MethodHandle HANDLE = Ffm.bind("statx",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), -1, Platform.LINUX);
    }

    private static final class Fstat {
        static final MethodHandle HANDLE = Ffm.bind("fstat" + INODE64,
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), -1, Platform.DARWIN);
    }

    private static final class Fstatat {
        static final MethodHandle HANDLE = Ffm.bind("fstatat" + INODE64,
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), -1, Platform.DARWIN);
    }
    /** Linux's (<linux/fcntl.h>) and macOS's ({@code <sys/fcntl.h>}). */
    private static final int AT_SYMLINK_NOFOLLOW = Platform.DARWIN ? 0x20 : 0x100;
    private static final class Fstatfs {
        static final MethodHandle HANDLE = Ffm.bind("fstatfs" + INODE64,
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), -1);
    }

    private FileStat() {
    }

    /**
     * The type, permissions, size, inode and device of the file that {@code fd} refers to: on Linux
     * {@code statx(2)} of the descriptor itself ({@code AT_EMPTY_PATH}), which works on {@code O_PATH} descriptors
     * too and has the same layout on every architecture; on macOS {@code fstat(2)}, see {@link DarwinStructs#STAT}.
     *
     * @param out receives {@link #STAT_MODE} (type and permission bits), {@link #STAT_SIZE}, {@link #STAT_INO}
     *            and {@link #STAT_DEV} (Linux: major in the high 32 bits, minor in the low; macOS: {@code st_dev}):
     *            compare devices, do not decode them
     * @return 0 or a negative errno
     */
    public static int fstat(int fd, long[] out) {
        Ffm.Scratch s = Ffm.scratch();
        MemorySegment struct = s.struct;
        try {
            int r = Platform.LINUX
                    ? (int) Statx.HANDLE.invokeExact(s.errno, fd, s.emptyPath, Opens.AT_EMPTY_PATH, STATX_BASIC, struct)
                    : (int) Fstat.HANDLE.invokeExact(s.errno, fd, struct);
            return read(r, struct, out);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /**
     * {@link #fstat} of the entry {@code path[offset, offset + length)} of directory {@code dirfd}, itself if a
     * symlink, without opening it: {@code statx(2)} on Linux, {@code fstatat(2)} on macOS, with
     * {@code AT_SYMLINK_NOFOLLOW}.
     *
     * @return 0 or a negative errno
     */
    public static int statAt(int dirfd, byte[] path, int offset, int length, long[] out) {
        Ffm.Scratch s = Ffm.scratch();
        if (!s.setPath(path, offset, length)) {
            return -Errno.ENAMETOOLONG;
        }
        MemorySegment struct = s.struct;
        try {
            int r = Platform.LINUX
                    ? (int) Statx.HANDLE.invokeExact(s.errno, dirfd, s.path, AT_SYMLINK_NOFOLLOW, STATX_BASIC, struct)
                    : (int) Fstatat.HANDLE.invokeExact(s.errno, dirfd, s.path, struct, AT_SYMLINK_NOFOLLOW);
            return read(r, struct, out);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /** What a stat call returned: its negative errno, or 0 with {@code out} filled from {@code struct}. */
    private static int read(int r, MemorySegment struct, long[] out) {
        if (r < 0) {
            return r;
        }
        if (Platform.LINUX) {
            linuxStat(struct, out);
        } else {
            darwinStat(struct, out);
        }
        return 0;
    }

    private static void linuxStat(MemorySegment struct, long[] out) {
        out[STAT_MODE] = struct.get(JAVA_SHORT, STX_MODE) & 0xFFFF;
        out[STAT_SIZE] = struct.get(JAVA_LONG, STX_SIZE);
        out[STAT_INO] = struct.get(JAVA_LONG, STX_INO);
        out[STAT_DEV] = (Integer.toUnsignedLong(struct.get(JAVA_INT, STX_DEV_MAJOR)) << 32)
                | Integer.toUnsignedLong(struct.get(JAVA_INT, STX_DEV_MINOR));
    }

    /**
     * The id of the mount that {@code fd} is on ({@code stx_mnt_id} of {@code statx(2)}, as in
     * {@code /proc/self/mountinfo}): unlike the device, it tells a bind mount from the mount it shows. Linux only.
     *
     * @return the id, or a negative errno: {@code -ENOSYS} where the kernel does not tell it (before Linux 5.8)
     */
    public static long mountId(int fd) {
        if (!Platform.LINUX) {
            throw new UnsupportedOperationException("statx stx_mnt_id is not available on " + Platform.describe());
        }
        Ffm.Scratch s = Ffm.scratch();
        MemorySegment struct = s.struct;
        try {
            int r = (int) Statx.HANDLE.invokeExact(s.errno, fd, s.emptyPath, Opens.AT_EMPTY_PATH, STATX_MNT_ID, struct);
            if (r < 0) {
                return r;
            }
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
        return (struct.get(JAVA_INT, STX_MASK) & STATX_MNT_ID) != 0 ? struct.get(JAVA_LONG, STX_MNT_ID) : -Errno.ENOSYS;
    }

    /** Reads a {@link DarwinStructs#STAT} into {@code out}, as {@link #fstat} fills it. */
    static void darwinStat(MemorySegment stat, long[] out) {
        out[STAT_MODE] = stat.get(JAVA_SHORT, DarwinStructs.ST_MODE) & 0xFFFF;
        out[STAT_SIZE] = stat.get(JAVA_LONG, DarwinStructs.ST_SIZE);
        out[STAT_INO] = stat.get(JAVA_LONG, DarwinStructs.ST_INO);
        out[STAT_DEV] = Integer.toUnsignedLong(stat.get(JAVA_INT, DarwinStructs.ST_DEV));
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

    /**
     * The filesystem type ({@code f_type} of {@code fstatfs(2)}, such as 0xEF53 for ext4), or a negative errno.
     * Linux only: macOS numbers its filesystem types in the order they registered, see {@link #fstatfsTypeName}.
     */
    public static long fstatfsType(int fd) {
        return fstatfs(fd, STATFS_F_TYPE, "f_type");
    }

    /**
     * The flags of the mount that {@code fd} is on ({@code f_flags} of {@code fstatfs(2)}: {@code ST_RDONLY},
     * {@link #ST_NODEV}... as {@code statvfs(3)} has them, in Linux 2.6.36 and later), or a negative errno. They are
     * the mount's own: a bind mount remounted {@code nodev} says so, whatever the filesystem it shows. Linux only.
     */
    public static long fstatfsFlags(int fd) {
        return fstatfs(fd, STATFS_F_FLAGS, "f_flags");
    }

    private static long fstatfs(int fd, long offset, String field) {
        if (!Platform.LINUX) {
            throw new UnsupportedOperationException("fstatfs " + field + " is not available on "
                    + Platform.describe());
        }
        Ffm.Scratch s = Ffm.scratch();
        int r = fstatfs(s, fd);
        return r < 0 ? r : s.struct.get(JAVA_LONG, offset);
    }

    /**
     * The filesystem's type name ({@code f_fstypename} of {@code fstatfs(2)}, such as {@code "apfs"}), or null if
     * the call failed. macOS only: Linux has no such name.
     */
    public static String fstatfsTypeName(int fd) {
        if (!Platform.DARWIN) {
            throw new UnsupportedOperationException("fstatfs f_fstypename is not available on "
                    + Platform.describe());
        }
        Ffm.Scratch s = Ffm.scratch();
        return fstatfs(s, fd) < 0 ? null : darwinFsTypeName(s.struct);
    }

    /** {@code fstatfs(2)} into the scratch's struct; 0 or a negative errno. */
    private static int fstatfs(Ffm.Scratch s, int fd) {
        try {
            return (int) Fstatfs.HANDLE.invokeExact(s.errno, fd, s.struct);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /** The {@code f_fstypename} of a {@link DarwinStructs#STATFS}. */
    static String darwinFsTypeName(MemorySegment statfs) {
        int length = 0;
        while (length < DarwinStructs.MFSTYPENAMELEN
                && statfs.get(JAVA_BYTE, DarwinStructs.F_FSTYPENAME + length) != 0) {
            length++;
        }
        byte[] name = new byte[length];
        MemorySegment.copy(statfs, JAVA_BYTE, DarwinStructs.F_FSTYPENAME, name, 0, length);
        return new String(name, StandardCharsets.US_ASCII);
    }
}
