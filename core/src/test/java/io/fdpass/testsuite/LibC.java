package io.fdpass.testsuite;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** The C calls a test needs to behave like a careless native program: fork and exec without closing anything. */
final class LibC {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SYSTEM = LINKER.downcallHandle(LINKER.defaultLookup().find("system")
            .orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    private static final MethodHandle FCNTL = LINKER.downcallHandle(LINKER.defaultLookup().find("fcntl")
            .orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
    /** Linux's; null elsewhere (macOS has renameatx_np), and the race test says so. */
    private static final MethodHandle RENAMEAT2 = LINKER.defaultLookup().find("renameat2").map(address ->
            LINKER.downcallHandle(address, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT)))
            .orElse(null);
    private static final MethodHandle SOCKET = LINKER.downcallHandle(LINKER.defaultLookup().find("socket")
            .orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT));
    private static final MethodHandle BIND = LINKER.downcallHandle(LINKER.defaultLookup().find("bind")
            .orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT));
    private static final MethodHandle LISTEN = LINKER.downcallHandle(LINKER.defaultLookup().find("listen")
            .orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final int AF_UNIX = 1;
    private static final boolean LINUX = System.getProperty("os.name").toLowerCase().startsWith("linux");
    /** SOCK_STREAM, with Linux's SOCK_CLOEXEC where it exists. */
    private static final int SOCK_STREAM_CLOEXEC = LINUX ? 1 | 02000000 : 1;
    private static final int F_SETFD = 2;
    private static final int AT_FDCWD = -100;
    private static final int RENAME_EXCHANGE = 2;

    private LibC() {
    }

    /**
     * {@code system(3)}: fork, then exec {@code /bin/sh -c command}, inheriting every descriptor that is not
     * close-on-exec. (Java's ProcessBuilder closes them all in the child, so it could not show the difference.)
     */
    static int system(String command) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            return (int) SYSTEM.invokeExact(arena.allocateFrom(command));
        }
    }

    /** Swaps two paths atomically: {@code renameat2(RENAME_EXCHANGE)}; 0 or -1. */
    static int exchange(String a, String b) throws Throwable {
        if (RENAMEAT2 == null) {
            throw new UnsupportedOperationException("renameat2 is Linux's");
        }
        try (Arena arena = Arena.ofConfined()) {
            return (int) RENAMEAT2.invokeExact(AT_FDCWD, arena.allocateFrom(a), AT_FDCWD, arena.allocateFrom(b),
                    RENAME_EXCHANGE);
        }
    }

    /** A Unix stream socket bound to {@code path} and listening, as a launcher like systemd hands one over. */
    static int listeningSocket(String path) throws Throwable {
        int fd = (int) SOCKET.invokeExact(AF_UNIX, SOCK_STREAM_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            java.lang.foreign.MemorySegment address = arena.allocate(110); // struct sockaddr_un
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
            address.asSlice(2).setString(0, path);
            if ((int) BIND.invokeExact(fd, address, 110) != 0 || (int) LISTEN.invokeExact(fd, 128) != 0) {
                throw new IllegalStateException("cannot listen on " + path);
            }
        }
        return fd;
    }

    /** Clears every descriptor flag, close-on-exec included. */
    static int clearDescriptorFlags(int fd) throws Throwable {
        return (int) FCNTL.invokeExact(fd, F_SETFD, 0);
    }
}
