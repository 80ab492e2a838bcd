package io.fdpass.testing;

import io.fdpass.internal.Errno;
import io.fdpass.internal.Ffm;
import io.fdpass.internal.Opens;
import io.fdpass.internal.Platform;
import io.fdpass.internal.SocketCalls;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * What the tests do to files, descriptors and processes that fdpass's natives have no reason to offer, on Linux
 * and macOS: bound through the same {@link Ffm} helper, each call answering its result or a negative errno.
 */
public final class TestSyscalls {
    /** Linux's RENAME_EXCHANGE, and macOS's RENAME_SWAP for renameatx_np, which takes the same arguments. */
    public static final int RENAME_EXCHANGE = 2;

    private static final int F_SETFD = 2;

    private static final MethodHandle WRITE = Ffm.bind("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle RENAMEAT2 = Ffm.bind(Platform.DARWIN ? "renameatx_np" : "renameat2",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT), -1);
    private static final MethodHandle SYSTEM = Ffm.bind("system", FunctionDescriptor.of(JAVA_INT, ADDRESS), -1);
    private static final MethodHandle FCNTL = Ffm.bind("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle POSIX_OPENPT = Ffm.bind("posix_openpt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle UNLOCKPT = Ffm.bind("unlockpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle PTSNAME_R = Ffm.bind("ptsname_r",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle CAPGET = Ffm.bind("capget",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), -1, Platform.LINUX);
    private static final MethodHandle CAPSET = Ffm.bind("capset",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), -1, Platform.LINUX);
    /** {@code _LINUX_CAPABILITY_VERSION_3}: two 32-bit words per set. */
    private static final int CAPABILITY_VERSION_3 = 0x20080522;

    /** CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, by which root reads any file, for {@link #withoutCapabilities}. */
    public static final int READ_ANY_FILE = 1 << 1 | 1 << 2;
    /** CAP_SYS_PTRACE, by which root may follow the magic links of another user's process. */
    public static final int TRACE_ANY_PROCESS = 1 << 19;
    private static final MethodHandle SOCKET = Ffm.bind("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle CONNECT = Ffm.bind("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);

    private static final int AF_UNIX = 1;
    /** SOCK_STREAM, with Linux's SOCK_CLOEXEC where it exists. */
    private static final int SOCK_STREAM_CLOEXEC = Platform.LINUX ? 1 | 02000000 : 1;

    private TestSyscalls() {
    }

    /** A call of a bound handle with this thread's errno segment: the tests' calls are off any hot path. */
    @FunctionalInterface
    private interface Call {
        int invoke(MemorySegment errno) throws Throwable;
    }

    private static int call(Call call) {
        try {
            return call.invoke(Ffm.scratch().errno);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /** {@code write(2)}: bytes written or a negative errno. */
    public static long write(int fd, byte[] data) {
        try (Arena arena = Arena.ofConfined()) {
            return (long) WRITE.invokeExact(Ffm.scratch().errno, fd, arena.allocateFrom(JAVA_BYTE, data), (long) data.length);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /** {@code renameat2(2)} (macOS: {@code renameatx_np(2)}): 0 or a negative errno. */
    public static int renameat2(Path from, Path to, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) RENAMEAT2.invokeExact(Ffm.scratch().errno, Opens.AT_FDCWD, arena.allocateFrom(from.toString()),
                    Opens.AT_FDCWD, arena.allocateFrom(to.toString()), flags);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /**
     * {@code system(3)}: fork, then exec {@code /bin/sh -c command}, inheriting every descriptor that is not
     * close-on-exec. (Java's ProcessBuilder closes them all in the child, so it could not show the difference.)
     */
    public static int system(String command) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) SYSTEM.invokeExact(Ffm.scratch().errno, arena.allocateFrom(command));
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /** Clears every descriptor flag, close-on-exec included; 0 or a negative errno. */
    public static int clearDescriptorFlags(int fd) {
        try {
            return (int) FCNTL.invokeExact(Ffm.scratch().errno, fd, F_SETFD, 0);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /** A Unix stream socket bound to {@code path} and listening, as a launcher like systemd hands one over. */
    public static int listeningSocket(String path) {
        int fd = SocketCalls.listen(path, 128);
        if (fd < 0) {
            throw new IllegalStateException("cannot listen on " + path + ": " + Errno.strerror(fd));
        }
        return fd;
    }

    /** A Unix stream socket connected to {@code path}, blocking. */
    public static int connectedSocket(String path) {
        int fd = call(e -> (int) SOCKET.invokeExact(e, AF_UNIX, SOCK_STREAM_CLOEXEC, 0));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = address(arena, path);
            if (fd < 0 || call(e -> (int) CONNECT.invokeExact(e, fd, address, 110)) != 0) {
                throw new IllegalStateException("cannot connect to " + path);
            }
        }
        return fd;
    }

    private static MemorySegment address(Arena arena, String path) {
        MemorySegment address = arena.allocate(110); // struct sockaddr_un
        address.set(JAVA_SHORT, 0, (short) AF_UNIX);
        address.asSlice(2).setString(0, path);
        return address;
    }

    /** Runs a command; whether it exited 0. Nothing is inherited but stderr, so no pipe outlives it. */
    public static boolean run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        return process.waitFor() == 0;
    }

    /**
     * A pseudo-terminal's master side, unlocked, opened {@code O_RDWR | O_NOCTTY | O_NONBLOCK}; its slave is
     * {@link #ptsName}. Once the slave has been opened and closed again (its driver's open and release ran), a read
     * of the master answers EIO where it answered EAGAIN before: a trace that a device was opened.
     */
    public static int openPtyMaster() {
        int fd = call(e -> (int) POSIX_OPENPT.invokeExact(e, 2 | Opens.O_NOCTTY
                | Opens.O_NONBLOCK));
        if (fd < 0 || call(e -> (int) UNLOCKPT.invokeExact(e, fd)) != 0) {
            throw new IllegalStateException("posix_openpt, unlockpt: " + fd);
        }
        return fd;
    }

    /** The path of the slave side of the pseudo-terminal whose master is {@code masterFd}. */
    public static Path ptsName(int masterFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(128);
            int r = call(e -> (int) PTSNAME_R.invokeExact(e, masterFd, name, 128L));
            if (r != 0) {
                throw new IllegalStateException("ptsname_r: " + r);
            }
            return Path.of(name.getString(0));
        }
    }

    /**
     * Runs {@code action} on a thread of its own without {@code capabilities} (of the first 32, such as
     * {@link #READ_ANY_FILE}): there, as for any other user, a file of mode 000 cannot be opened for reading, say.
     * Capabilities are a per-thread attribute on Linux, and the thread ends after {@code action}, so the rest of
     * the process keeps them.
     */
    public static <T> T withoutCapabilities(int capabilities, Callable<T> action) throws Exception {
        FutureTask<T> task = new FutureTask<>(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment header = arena.allocate(8);
                header.set(JAVA_INT, 0, CAPABILITY_VERSION_3);
                MemorySegment data = arena.allocate(24); // 2 x { effective, permitted, inheritable }
                if (call(e -> (int) CAPGET.invokeExact(e, header, data)) != 0) {
                    throw new IllegalStateException("capget");
                }
                data.set(JAVA_INT, 0, data.get(JAVA_INT, 0) & ~capabilities);
                if (call(e -> (int) CAPSET.invokeExact(e, header, data)) != 0) {
                    throw new IllegalStateException("capset");
                }
            }
            return action.call();
        });
        Thread thread = Thread.ofPlatform().name("without-capabilities").start(task);
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        } finally {
            thread.join();
        }
    }

    /** The descriptors this process has open. */
    public static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of(Platform.DARWIN ? "/dev/fd" : "/proc/self/fd"))) {
            return fds.count();
        }
    }

    public static boolean isRoot() throws IOException {
        if (Platform.DARWIN) {
            return "root".equals(System.getProperty("user.name"));
        }
        return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    }
}
