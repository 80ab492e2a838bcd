package io.fdpass.client;

import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.FileReads;
import io.fdpass.internal.FileStat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;

/**
 * A descriptor received from an fdpass server, open for reading. Reads go through the descriptor itself
 * ({@code read(2)}, {@code pread(2)}), never through a path: the point is to read what this process may not open.
 *
 * <p>Close it, or {@link #detach()} the descriptor to own it yourself. Reads and close are synchronized, so a close
 * from another thread never lets a read reach a reused descriptor number.
 */
public final class ReceivedFile implements ReadableByteChannel {
    private final String name;
    private final long size;
    private final ClientCounters stats;
    private int fd;

    ReceivedFile(String name, int fd, long size, ClientCounters stats) {
        this.name = name;
        this.fd = fd;
        this.size = size;
        this.stats = stats;
    }

    /** The name it was requested by. */
    public String name() {
        return name;
    }

    /** The size the server announced ({@code st_size} when it opened the file). */
    public long size() {
        return size;
    }

    /** Reads from the descriptor's current offset, which it shares with every copy of this descriptor. */
    @Override
    public synchronized int read(ByteBuffer dst) throws IOException {
        long n = FileReads.read(checkOpen(), dst);
        return (int) result(n, "read");
    }

    /** Reads at {@code position} without moving the offset; -1 at end of file. */
    public synchronized int read(ByteBuffer dst, long position) throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("position: " + position + " (expected: >= 0)");
        }
        long n = FileReads.pread(checkOpen(), dst, position);
        return (int) result(n, "pread");
    }

    private long result(long n, String call) throws IOException {
        if (n < 0) {
            throw new IOException(call + " " + name + ": " + Errno.strerror((int) -n));
        }
        return n == 0 ? -1 : n;
    }

    /**
     * Maps the whole file, as it is now, into memory, read-only: no copy, no system call per read. The mapping
     * lives until {@code arena} closes (and outlives this file's descriptor). An empty file maps to an empty
     * segment.
     *
     * @throws IOException if the file cannot be mapped (it is not a regular file, say)
     */
    public MemorySegment map(Arena arena) throws IOException {
        long length;
        long address;
        synchronized (this) {
            int fd = checkOpen();
            long[] stat = new long[FileStat.STAT_LENGTH];
            int err = FileStat.fstat(fd, stat);
            if (err < 0) {
                throw new IOException("statx " + name + ": " + Errno.strerror(-err));
            }
            length = stat[FileStat.STAT_SIZE];
            if (length == 0) {
                return MemorySegment.ofArray(new byte[0]);
            }
            address = FileReads.mmap(fd, length);
            if (address < 0) {
                throw new IOException("mmap " + name + ": " + Errno.strerror((int) -address));
            }
        }
        return MemorySegment.ofAddress(address).reinterpret(length, arena, unused -> FileReads.munmap(address, length));
    }

    /** A stream over {@link #read(ByteBuffer)}; closing it closes this file. */
    public InputStream inputStream() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                return ReceivedFile.this.read(ByteBuffer.wrap(b, off, len));
            }

            @Override
            public void close() {
                ReceivedFile.this.close();
            }
        };
    }

    @Override
    public synchronized boolean isOpen() {
        return fd >= 0;
    }

    /**
     * Hands the raw descriptor over: the caller owns it from now on (and must close it), and this object is closed.
     * It is close-on-exec. Its file status flags are as the server left them, or have {@code O_NONBLOCK} added
     * where Netty received it (see PROTOCOL.md, "Receiving"): a caller that wants blocking reads from a pipe or a
     * socket (which only a custom {@code FileSource} serves) clears {@code O_NONBLOCK} itself.
     */
    public synchronized int detach() throws ClosedChannelException {
        int taken = checkOpen();
        fd = -1;
        stats.descriptorReleased();
        return taken;
    }

    @Override
    public synchronized void close() {
        if (fd >= 0) {
            Descriptors.close(fd);
            fd = -1;
            stats.descriptorReleased();
        }
    }

    private int checkOpen() throws ClosedChannelException {
        if (fd < 0) {
            throw new ClosedChannelException();
        }
        return fd;
    }

    @Override
    public String toString() {
        return "ReceivedFile(" + name + ", size=" + size + (fd >= 0 ? ", fd=" + fd : ", closed") + ")";
    }
}
