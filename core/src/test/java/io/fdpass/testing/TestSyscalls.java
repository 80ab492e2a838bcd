package io.fdpass.testing;

import io.fdpass.internal.Ffm;
import io.fdpass.internal.Opens;
import io.fdpass.internal.Platform;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
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

    private static final int AF_UNIX = 1;
    /** SOCK_STREAM, with Linux's SOCK_CLOEXEC where it exists. */
    private static final int SOCK_STREAM_CLOEXEC = Platform.LINUX ? 1 | 02000000 : 1;
    private static final int F_SETFD = 2;

    private static final MethodHandle WRITE = Ffm.bind("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle RENAMEAT2 = Ffm.bind(Platform.DARWIN ? "renameatx_np" : "renameat2",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT), -1);
    private static final MethodHandle SYSTEM = Ffm.bind("system", FunctionDescriptor.of(JAVA_INT, ADDRESS), -1);
    private static final MethodHandle FCNTL = Ffm.bind("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle SOCKET = Ffm.bind("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle BIND = Ffm.bind("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);
    private static final MethodHandle LISTEN = Ffm.bind("listen",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle CONNECT = Ffm.bind("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);

    private TestSyscalls() {
    }

    /** {@code write(2)}: bytes written or a negative errno. */
    public static long write(int fd, byte[] data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocateFrom(JAVA_BYTE, data);
            return Ffm.callLong(Ffm.scratch(), e -> (long) WRITE.invokeExact(e, fd, bytes, (long) data.length));
        }
    }

    /** {@code renameat2(2)} (macOS: {@code renameatx_np(2)}): 0 or a negative errno. */
    public static int renameat2(Path from, Path to, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocateFrom(from.toString());
            MemorySegment b = arena.allocateFrom(to.toString());
            return Ffm.callInt(Ffm.scratch(), e -> (int) RENAMEAT2.invokeExact(e, Opens.AT_FDCWD, a, Opens.AT_FDCWD,
                    b, flags));
        }
    }

    /**
     * {@code system(3)}: fork, then exec {@code /bin/sh -c command}, inheriting every descriptor that is not
     * close-on-exec. (Java's ProcessBuilder closes them all in the child, so it could not show the difference.)
     */
    public static int system(String command) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = arena.allocateFrom(command);
            return Ffm.callInt(Ffm.scratch(), e -> (int) SYSTEM.invokeExact(e, c));
        }
    }

    /** Clears every descriptor flag, close-on-exec included; 0 or a negative errno. */
    public static int clearDescriptorFlags(int fd) {
        return Ffm.callInt(Ffm.scratch(), e -> (int) FCNTL.invokeExact(e, fd, F_SETFD, 0));
    }

    /** A Unix stream socket bound to {@code path} and listening, as a launcher like systemd hands one over. */
    public static int listeningSocket(String path) {
        int fd = Ffm.callInt(Ffm.scratch(), e -> (int) SOCKET.invokeExact(e, AF_UNIX, SOCK_STREAM_CLOEXEC, 0));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = address(arena, path);
            if (fd < 0 || Ffm.callInt(Ffm.scratch(), e -> (int) BIND.invokeExact(e, fd, address, 110)) != 0
                    || Ffm.callInt(Ffm.scratch(), e -> (int) LISTEN.invokeExact(e, fd, 128)) != 0) {
                throw new IllegalStateException("cannot listen on " + path);
            }
        }
        return fd;
    }

    /** A Unix stream socket connected to {@code path}, blocking. */
    public static int connectedSocket(String path) {
        int fd = Ffm.callInt(Ffm.scratch(), e -> (int) SOCKET.invokeExact(e, AF_UNIX, SOCK_STREAM_CLOEXEC, 0));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = address(arena, path);
            if (fd < 0 || Ffm.callInt(Ffm.scratch(), e -> (int) CONNECT.invokeExact(e, fd, address, 110)) != 0) {
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
