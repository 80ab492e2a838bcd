package io.fdpass.internal;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** What the tests do to files and descriptors that {@link Native} has no reason to offer, on Linux and macOS. */
@SuppressWarnings("restricted")
final class TestSyscalls {
    /** Linux's RENAME_EXCHANGE, and macOS's RENAME_SWAP for renameatx_np, which takes the same arguments. */
    static final int RENAME_EXCHANGE = 2;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final VarHandle ERRNO_VALUE =
            Linker.Option.captureStateLayout().varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle WRITE = bind("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle RENAMEAT2 = bind(Native.DARWIN ? "renameatx_np" : "renameat2",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));

    private TestSyscalls() {
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), descriptor, ERRNO);
    }

    /** {@code write(2)}: bytes written or a negative errno. */
    static long write(int fd, byte[] data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            long r = (long) WRITE.invokeExact(state, fd, arena.allocateFrom(JAVA_BYTE, data), (long) data.length);
            return r < 0 ? -(int) ERRNO_VALUE.get(state, 0L) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code renameat2(2)} (macOS: {@code renameatx_np(2)}): 0 or a negative errno. */
    static int renameat2(Path from, Path to, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int r = (int) RENAMEAT2.invokeExact(state, Native.AT_FDCWD, arena.allocateFrom(from.toString()),
                    Native.AT_FDCWD, arena.allocateFrom(to.toString()), flags);
            return r < 0 ? -(int) ERRNO_VALUE.get(state, 0L) : 0;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Runs a command; whether it exited 0. Nothing is inherited but stderr, so no pipe outlives it. */
    static boolean run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        return process.waitFor() == 0;
    }

    /** The descriptors this process has open. */
    static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of(Native.DARWIN ? "/dev/fd" : "/proc/self/fd"))) {
            return fds.count();
        }
    }

    static boolean isRoot() throws IOException {
        if (Native.DARWIN) {
            return "root".equals(System.getProperty("user.name"));
        }
        return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    }
}
