package io.fdpass.internal;

import io.netty.channel.unix.FileDescriptor;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/** Closing and flagging descriptors: the one place that does it, so that no path forgets one. */
public final class Descriptors {
    // The same on Linux and macOS.
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int FD_CLOEXEC = 1;
    private static final int F_DUPFD_CLOEXEC = Platform.DARWIN ? 67 : 1030;
    private static final int LINUX_O_CLOEXEC = 02000000;

    private static final class Close {
        static final MethodHandle HANDLE = Ffm.bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
    }

    private static final class Fcntl {
        static final MethodHandle HANDLE = Ffm.bind("fcntl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), 2);
    }

    private static final class Dup3 {
        static final MethodHandle HANDLE = Ffm.bind("dup3",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), -1, Platform.LINUX);
    }

    private Descriptors() {
    }

    /**
     * Not retried on {@code EINTR}: Linux and macOS release the descriptor even then, and a retry could close one
     * that another thread has just been given.
     *
     * @return 0 or a negative errno
     */
    public static int close(int fd) {
        try {
            return Math.min((int) Close.HANDLE.invokeExact(Ffm.scratch().errno, fd), 0);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /**
     * Closes {@code fd} if it is not null; never throws. fdpass owns every descriptor it sends or receives (Netty
     * never closes one), so this is its only close, through FFM: {@code FileDescriptor.close()} would need a
     * transport's native library loaded.
     */
    public static void closeQuietly(FileDescriptor fd) {
        if (fd != null) {
            close(fd.intValue());
        }
    }

    /** Marks {@code fd} close-on-exec; 0 or a negative errno. */
    public static int setCloseOnExec(FileDescriptor fd) {
        return setCloexec(fd.intValue());
    }

    /** The descriptor flags ({@code F_GETFD}), or a negative errno. */
    public static int getFdFlags(int fd) {
        return fcntl(fd, F_GETFD, 0);
    }

    /** Adds {@link #FD_CLOEXEC}, keeping the other descriptor flags; 0 or a negative errno. */
    public static int setCloexec(int fd) {
        // FD_CLOEXEC is the only descriptor flag (Linux, macOS): set it outright, one call per received descriptor.
        int r = fcntl(fd, F_SETFD, FD_CLOEXEC);
        return Math.min(r, 0);
    }

    /** A new descriptor of the same open file, close-on-exec; or a negative errno. */
    public static int dup(int fd) {
        return fcntl(fd, F_DUPFD_CLOEXEC, 0);
    }

    /**
     * Makes {@code newFd} a descriptor of {@code oldFd}'s open file, close-on-exec, in one step ({@code dup3(2)}):
     * whatever {@code newFd} was is closed. Linux only.
     *
     * @return {@code newFd}, or a negative errno
     */
    public static int dup3(int oldFd, int newFd) {
        try {
            return (int) Dup3.HANDLE.invokeExact(Ffm.scratch().errno, oldFd, newFd, LINUX_O_CLOEXEC);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /** The file status flags and access mode ({@code F_GETFL}), or a negative errno. */
    public static int getStatusFlags(int fd) {
        return fcntl(fd, F_GETFL, 0);
    }

    private static int fcntl(int fd, int cmd, int arg) {
        try {
            return (int) Fcntl.HANDLE.invokeExact(Ffm.scratch().errno, fd, cmd, arg);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }
}
