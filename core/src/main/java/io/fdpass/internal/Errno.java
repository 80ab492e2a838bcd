package io.fdpass.internal;

import java.util.Map;

/**
 * The errno values fdpass looks at, and their names for messages. Like Netty's natives, every call of this package
 * returns its result or a <em>negative errno</em>: they run on event loops at a high rate, where exceptions for
 * expected failures (a missing file) would cost more than the call.
 */
public final class Errno {
    // 1..34 come from V7 Unix: the same on Linux, macOS and the BSDs.
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int E2BIG = 7;
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
    public static final int EPIPE = 32;

    // xnu's <sys/errno.h> on macOS, <asm-generic/errno.h> on Linux.
    public static final int EAGAIN = Platform.DARWIN ? 35 : 11;
    public static final int ENAMETOOLONG = Platform.DARWIN ? 63 : 36;
    public static final int ENOSYS = Platform.DARWIN ? 78 : 38;
    public static final int ELOOP = Platform.DARWIN ? 62 : 40;
    /** Linux: the sending user has as many descriptors in flight as its RLIMIT_NOFILE. */
    public static final int ETOOMANYREFS = Platform.DARWIN ? 59 : 109;
    /** What macOS answers for opening a socket, where Linux answers {@link #ENXIO}. */
    public static final int EOPNOTSUPP = Platform.DARWIN ? 102 : 95;

    private static final Map<Integer, String> TEXT = Map.ofEntries(
            Map.entry(EPERM, "EPERM (Operation not permitted)"),
            Map.entry(ENOENT, "ENOENT (No such file or directory)"),
            Map.entry(EINTR, "EINTR (Interrupted system call)"),
            Map.entry(EIO, "EIO (Input/output error)"),
            Map.entry(ENXIO, "ENXIO (No such device or address)"),
            Map.entry(E2BIG, "E2BIG (Argument list too long)"),
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
            Map.entry(EPIPE, "EPIPE (Broken pipe)"),
            Map.entry(EAGAIN, "EAGAIN (Resource temporarily unavailable)"),
            Map.entry(ENAMETOOLONG, "ENAMETOOLONG (File name too long)"),
            Map.entry(ENOSYS, "ENOSYS (Function not implemented)"),
            Map.entry(EOPNOTSUPP, "EOPNOTSUPP (Operation not supported)"),
            Map.entry(ETOOMANYREFS, "ETOOMANYREFS (Too many references)"),
            Map.entry(ELOOP, "ELOOP (Too many levels of symbolic links)"));

    private Errno() {
    }

    /** A name and description for messages, such as {@code "ENOENT (No such file or directory)"}. */
    public static String strerror(int errno) {
        int e = Math.abs(errno);
        String text = TEXT.get(e);
        return text != null ? text : "errno " + e;
    }
}
