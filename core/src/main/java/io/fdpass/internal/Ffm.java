package io.fdpass.internal;

import io.netty.util.concurrent.FastThreadLocal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The one way this package calls C: binding a function of libc (libSystem on macOS) with the FFM API, so that fdpass
 * ships no native library. A bound handle takes the segment that captures errno first, as FFM does, and answers as
 * Netty's natives do: the function's result, or the negative errno where it returned a negative number. So a call
 * is {@code (int) HANDLE.invokeExact(scratch.errno, args...)} in a try block whose catch is {@link #rethrow}
 * (invokeExact declares Throwable), and allocates nothing: native memory for arguments comes from a per-thread
 * {@link Scratch}.
 *
 * <p>A function that does not exist here (one of the other OS, or any on a platform without bindings) is bound to
 * a handle that throws {@link UnsupportedOperationException} naming it, so callers never check for null.
 *
 * <p>Binding is FFM's slow part: each new signature spins classes at run time, which JDK 25's AOT cache does not
 * keep. So each handle is a constant of a holder class of its own ({@code Openat.HANDLE}), bound when it is first
 * called: a server binds before its socket exists only what making it takes, a client only what receiving takes,
 * and neither ever binds the other OS's functions. A static final of an initialised class is a constant to the JIT,
 * so a call through it costs what it did as a field of the calling class.
 */
public final class Ffm {
    private static final Linker LINKER = Platform.AVAILABLE ? Linker.nativeLinker() : null;
    private static final VarHandle ERRNO =
            Linker.Option.captureStateLayout().varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final long ERRNO_SIZE = Linker.Option.captureStateLayout().byteSize();
    private static final MethodHandle NEW_UNSUPPORTED;
    private static final MethodHandle INT_RESULT;
    private static final MethodHandle LONG_RESULT;

    static {
        try {
            NEW_UNSUPPORTED = MethodHandles.publicLookup().findConstructor(UnsupportedOperationException.class,
                    MethodType.methodType(void.class, String.class));
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            INT_RESULT = lookup.findStatic(Ffm.class, "result",
                    MethodType.methodType(int.class, int.class, MemorySegment.class));
            LONG_RESULT = lookup.findStatic(Ffm.class, "result",
                    MethodType.methodType(long.class, long.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final FastThreadLocal<Scratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    private Ffm() {
    }

    /**
     * Binds {@code name} with errno captured, where {@code present} (the platform has it). A function that returns
     * an int or a long answers its result or the negative errno; any other (a pointer) answers what it returned.
     *
     * @param firstVariadicArg the index of the first variadic parameter, or -1 for a function that has none
     */
    @SuppressWarnings("restricted") // the descriptors of the callers match the C prototypes
    public static MethodHandle bind(String name, FunctionDescriptor descriptor, int firstVariadicArg,
            boolean present) {
        MemorySegment address = LINKER == null || !present ? null : LINKER.defaultLookup().find(name).orElse(null);
        if (address == null) {
            return unavailable(name, descriptor);
        }
        Linker.Option errno = Linker.Option.captureCallState("errno");
        MethodHandle call = firstVariadicArg < 0 ? LINKER.downcallHandle(address, descriptor, errno)
                : LINKER.downcallHandle(address, descriptor, errno, Linker.Option.firstVariadicArg(firstVariadicArg));
        Class<?> type = call.type().returnType();
        if (type != int.class && type != long.class) {
            return call;
        }
        // result(call(errno, args...), errno): the errno segment is the first argument, and the last once more.
        MethodHandle both = MethodHandles.collectArguments(type == int.class ? INT_RESULT : LONG_RESULT, 0, call);
        int[] order = new int[both.type().parameterCount()];
        for (int i = 0; i < order.length - 1; i++) {
            order[i] = i;
        }
        return MethodHandles.permuteArguments(both, call.type(), order); // the last takes argument 0
    }

    private static int result(int r, MemorySegment errno) {
        return r < 0 ? -(int) ERRNO.get(errno, 0L) : r;
    }

    private static long result(long r, MemorySegment errno) {
        return r < 0 ? -(int) ERRNO.get(errno, 0L) : r;
    }

    /** {@link #bind(String, FunctionDescriptor, int, boolean)} of a function that every platform has. */
    public static MethodHandle bind(String name, FunctionDescriptor descriptor, int firstVariadicArg) {
        return bind(name, descriptor, firstVariadicArg, true);
    }

    /** A handle of the downcall's type that throws an UnsupportedOperationException naming {@code name}. */
    private static MethodHandle unavailable(String name, FunctionDescriptor descriptor) {
        MethodType type = descriptor.toMethodType().insertParameterTypes(0, MemorySegment.class);
        MethodHandle thrower = MethodHandles.throwException(type.returnType(), UnsupportedOperationException.class);
        MethodHandle exception = MethodHandles.insertArguments(NEW_UNSUPPORTED, 0,
                name + " is not available on " + Platform.describe());
        return MethodHandles.dropArguments(MethodHandles.foldArguments(thrower, exception), 0,
                type.parameterList());
    }

    /** This thread's argument memory. */
    public static Scratch scratch() {
        return SCRATCH.get();
    }

    /** What a call's catch block throws: a downcall handle throws nothing checked, so this is what it threw. */
    public static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t); // downcall handles throw nothing checked
    }

    /**
     * One thread's argument memory. Freed with the thread: its arena is automatic, and only this object refers to
     * it. No call keeps a slice across another call, so every call reuses the slices.
     */
    public static final class Scratch {
        /** Bytes a path takes at most, with its NUL: Linux's PATH_MAX. */
        static final int PATH_SIZE = Opens.PATH_MAX;
        private static final long STRUCT_SIZE = Platform.DARWIN
                ? Math.max(DarwinStructs.STATFS.byteSize(), DarwinStructs.SOCKET_FDINFO.byteSize())
                : FileStat.STATX_SIZE; // struct statfs takes 120

        /** Where a call captures errno: a bound handle's first argument. */
        public final MemorySegment errno;
        /** A struct that a call fills: statx, statfs, socket_fdinfo, open_how. */
        final MemorySegment struct;
        /** An int or a socklen_t. */
        final MemorySegment word;
        final MemorySegment wordLength;
        /** {@code ""}. */
        final MemorySegment emptyPath;
        final MemorySegment path;
        /** Where readlink writes. */
        final MemorySegment link;
        private MemorySegment bounce;
        private MemorySegment procPath;
        private MemorySegment procName;
        private MemorySegment message;
        private MemorySegment gather;

        Scratch() {
            long errnoSize = (ERRNO_SIZE + 7) & ~7L;
            long structSize = (STRUCT_SIZE + 7) & ~7L;
            MemorySegment all = Arena.ofAuto().allocate(errnoSize + structSize + 8 + 8 + 8 + PATH_SIZE + PATH_SIZE,
                    8);
            long offset = 0;
            errno = all.asSlice(offset, errnoSize);
            struct = all.asSlice(offset += errnoSize, structSize);
            word = all.asSlice(offset += structSize, 8);
            wordLength = all.asSlice(offset += 8, 8);
            emptyPath = all.asSlice(offset += 8, 8); // zeroed: ""
            path = all.asSlice(offset += 8, PATH_SIZE);
            link = all.asSlice(offset + PATH_SIZE, PATH_SIZE);
        }

        int errno() {
            return (int) ERRNO.get(errno, 0L);
        }

        /** Copies a path with its NUL into {@link #path}; false if the kernel would refuse it as too long. */
        boolean setPath(byte[] src, int offset, int length) {
            if (length >= PATH_SIZE) {
                return false;
            }
            MemorySegment.copy(src, offset, path, JAVA_BYTE, 0, length);
            path.set(JAVA_BYTE, length, (byte) 0);
            return true;
        }

        /** A native buffer that heap reads go through, made on first use. */
        MemorySegment bounce() {
            MemorySegment b = bounce;
            if (b == null) {
                bounce = b = Arena.ofAuto().allocate(FileReads.HEAP_READ_CHUNK, 8);
            }
            return b;
        }

        /** The path {@link Opens#reopen} builds, {@code /proc/self/fd/N}, made on first use. */
        MemorySegment procPath() {
            MemorySegment p = procPath;
            if (p == null) {
                procPath = p = Opens.newProcPath();
                procName = Opens.procName(p);
            }
            return p;
        }

        /** The {@code N} of {@link #procPath()}: the name to resolve relative to {@code /proc/self/fd}. */
        MemorySegment procName() {
            procPath();
            return procName;
        }

        /** The message header and iovecs of SocketCalls' gathering send, made on first use. */
        MemorySegment gather() {
            MemorySegment g = gather;
            if (g == null) {
                gather = g = SocketCalls.newGatherMessage();
            }
            return g;
        }

        /** The message header {@link SocketCalls#receiveDescriptor} receives into, made on first use. */
        MemorySegment message() {
            MemorySegment m = message;
            if (m == null) {
                message = m = SocketCalls.newMessage();
            }
            return m;
        }
    }
}
