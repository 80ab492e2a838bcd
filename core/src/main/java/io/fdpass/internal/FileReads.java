package io.fdpass.internal;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** Reading through a descriptor: {@code read(2)}, {@code pread(2)} and read-only {@code mmap(2)}. */
public final class FileReads {
    /** Heap buffers are read through a native buffer of this size, so a call transfers at most this much. */
    public static final int HEAP_READ_CHUNK = 64 * 1024;

    private static final int PROT_READ = 1;
    private static final int MAP_SHARED = 1;
    private static final long MAP_FAILED = -1;

    private static final class Read {
        static final MethodHandle HANDLE = Ffm.bind("read",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    }

    private static final class Pread {
        static final MethodHandle HANDLE = Ffm.bind("pread",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), -1);
    }

    private static final class Mmap {
        static final MethodHandle HANDLE = Ffm.bind("mmap",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), -1);
    }

    private static final class Munmap {
        static final MethodHandle HANDLE = Ffm.bind("munmap",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), -1);
    }

    private FileReads() {
    }

    /**
     * Reads up to {@code length} bytes into the start of {@code dst}, a native segment, retrying on EINTR.
     *
     * @return the bytes read (0 at end of file), or a negative errno
     */
    public static long read(int fd, MemorySegment dst, long length) {
        return read(fd, dst, length, -1);
    }

    /** Like {@link #read(int, MemorySegment, long)} at {@code offset}, not moving the file offset. */
    public static long pread(int fd, MemorySegment dst, long length, long offset) {
        return offset < 0 ? -Errno.EINVAL : read(fd, dst, length, offset);
    }

    /**
     * Reads into {@code dst} from its position up to its limit and advances its position; a heap buffer takes at
     * most {@link #HEAP_READ_CHUNK} bytes per call.
     *
     * @return the bytes read (0 at end of file), or a negative errno
     */
    public static long read(int fd, ByteBuffer dst) {
        return read(fd, dst, -1);
    }

    /** Like {@link #read(int, ByteBuffer)} at {@code offset}, not moving the file offset. */
    public static long pread(int fd, ByteBuffer dst, long offset) {
        return offset < 0 ? -Errno.EINVAL : read(fd, dst, offset);
    }

    /** {@code read(2)} when {@code offset} is negative, else {@code pread(2)}. */
    private static long read(int fd, ByteBuffer dst, long offset) {
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("dst: read-only buffer");
        }
        int position = dst.position();
        long n;
        if (dst.isDirect()) {
            n = read(fd, MemorySegment.ofBuffer(dst), dst.remaining(), offset);
        } else {
            MemorySegment bounce = Ffm.scratch().bounce();
            n = read(fd, bounce, Math.min(dst.remaining(), HEAP_READ_CHUNK), offset);
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
    private static long read(int fd, MemorySegment dst, long length, long offset) {
        if (!dst.isNative() || length < 0 || length > dst.byteSize()) {
            throw new IllegalArgumentException("dst: " + dst + ", length: " + length
                    + " (expected: a native segment of at least length bytes)");
        }
        MemorySegment errno = Ffm.scratch().errno;
        try {
            for (;;) {
                long r = offset < 0 ? (long) Read.HANDLE.invokeExact(errno, fd, dst, length)
                        : (long) Pread.HANDLE.invokeExact(errno, fd, dst, length, offset);
                if (r != -Errno.EINTR) {
                    return r;
                }
            }
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /**
     * Maps {@code length} bytes of {@code fd} from offset 0, read-only and shared ({@code mmap(2)}).
     *
     * @return the mapping's address, or a negative errno
     */
    public static long mmap(int fd, long length) {
        Ffm.Scratch s = Ffm.scratch();
        try {
            long address = ((MemorySegment) Mmap.HANDLE.invokeExact(s.errno, MemorySegment.NULL, length, PROT_READ,
                    MAP_SHARED, fd, 0L)).address();
            return address == MAP_FAILED ? -s.errno() : address;
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /** Unmaps what {@link #mmap} mapped; 0 or a negative errno. */
    public static int munmap(long address, long length) {
        try {
            return Math.min((int) Munmap.HANDLE.invokeExact(Ffm.scratch().errno, MemorySegment.ofAddress(address),
                    length),
                    0);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }
}
