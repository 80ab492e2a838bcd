package io.fdpass.testsuite;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A blocking AF_UNIX stream socket on plain system calls (Linux, 64 bits), read the way protocol v1's "Receiving"
 * says: frames with reads that end exactly at their last byte, each descriptor message with recvmsg(2). Nothing
 * reads unless the test asks, so replies and their descriptors stay in the socket, in flight as the kernel counts
 * them; and what a server sent before it closed is all there to see, with no event loop in between.
 */
final class FaultSocket implements AutoCloseable {
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final long FIONREAD = 0x541B;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final MemoryLayout ERRNO = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO_VALUE = ERRNO.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle SOCKET = bind("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT,
            JAVA_INT));
    private static final MethodHandle CONNECT = bind("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
            JAVA_INT));
    private static final MethodHandle SETSOCKOPT = bind("setsockopt", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
            JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SEND = bind("send", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
            JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECV = bind("recv", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
            JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECVMSG = bind("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
            JAVA_INT));
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle IOCTL = LINKER.downcallHandle(LIBC.find("ioctl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.captureCallState("errno"),
            Linker.Option.firstVariadicArg(2));

    private final int fd;

    private FaultSocket(int fd) {
        this.fd = fd;
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), descriptor,
                Linker.Option.captureCallState("errno"));
    }

    /** Connects to {@code path}; reads time out after 10 s. */
    static FaultSocket connect(Path path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(ERRNO);
            int fd = (int) SOCKET.invokeExact(errno, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            check(fd, errno, "socket");
            FaultSocket socket = new FaultSocket(fd);
            try {
                MemorySegment timeout = arena.allocate(16); // struct timeval
                timeout.set(JAVA_LONG, 0, 10);
                check((int) SETSOCKOPT.invokeExact(errno, fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16), errno,
                        "setsockopt");
                byte[] utf8 = path.toString().getBytes(StandardCharsets.UTF_8);
                MemorySegment address = arena.allocate(110); // struct sockaddr_un
                address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
                MemorySegment.copy(utf8, 0, address, ValueLayout.JAVA_BYTE, 2, utf8.length);
                check((int) CONNECT.invokeExact(errno, fd, address, 2 + utf8.length + 1), errno, "connect " + path);
                return socket;
            } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    void write(byte[] bytes) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(ERRNO);
            MemorySegment data = arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
            long sent = 0;
            while (sent < bytes.length) {
                long n = (long) SEND.invokeExact(errno, fd, data.asSlice(sent), bytes.length - sent, 0);
                check(n, errno, "send");
                sent += n;
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Reads exactly {@code length} bytes; an {@link EOFException} if the stream ends first. */
    byte[] readExactly(int length) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(ERRNO);
            MemorySegment data = arena.allocate(length);
            long read = 0;
            while (read < length) {
                long n = (long) RECV.invokeExact(errno, fd, data.asSlice(read), length - read, 0);
                check(n, errno, "recv");
                if (n == 0) {
                    throw new EOFException("end of stream after " + read + " of " + length + " bytes");
                }
                read += n;
            }
            return data.toArray(ValueLayout.JAVA_BYTE);
        } catch (IOException e) {
            throw e;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** The next frame, as {type, body}; null at end of stream before its first byte. */
    Frame readFrame() throws IOException {
        byte[] header;
        try {
            header = readExactly(5);
        } catch (EOFException e) {
            if (e.getMessage().startsWith("end of stream after 0 ")) {
                return null;
            }
            throw e;
        }
        int length = ByteBuffer.wrap(header).getInt();
        return new Frame(header[4], readExactly(length - 1));
    }

    /**
     * Takes one descriptor message: its descriptor (close-on-exec), or -1 at end of stream; an IOException for
     * a message without exactly one descriptor.
     */
    int receiveDescriptor() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(ERRNO);
            MemorySegment data = arena.allocate(1);
            MemorySegment iov = arena.allocate(16); // struct iovec
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, 1);
            MemorySegment control = arena.allocate(24); // CMSG_SPACE(sizeof(int))
            MemorySegment msg = arena.allocate(56); // struct msghdr
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1);
            msg.set(ADDRESS, 32, control);
            msg.set(JAVA_LONG, 40, 24);
            long n = (long) RECVMSG.invokeExact(errno, fd, msg, MSG_CMSG_CLOEXEC);
            check(n, errno, "recvmsg");
            if (n == 0) {
                return -1;
            }
            int flags = msg.get(JAVA_INT, 48);
            long controlLength = msg.get(JAVA_LONG, 40);
            if ((flags & MSG_CTRUNC) != 0 || controlLength < 20 || control.get(JAVA_LONG, 0) != 20
                    || control.get(JAVA_INT, 8) != SOL_SOCKET || control.get(JAVA_INT, 12) != SCM_RIGHTS) {
                throw new IOException("not a descriptor message: " + n + " byte(s), control " + controlLength
                        + ", flags 0x" + Integer.toHexString(flags));
            }
            return control.get(JAVA_INT, 16);
        } catch (IOException e) {
            throw e;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Bytes waiting in the socket, not read yet (FIONREAD): a descriptor message counts as its one byte. */
    int unread() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(ERRNO);
            MemorySegment count = arena.allocate(JAVA_INT);
            int r = (int) IOCTL.invokeExact(errno, fd, FIONREAD, count);
            check(r, errno, "ioctl(FIONREAD)");
            return count.get(JAVA_INT, 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Closes a descriptor received with {@link #receiveDescriptor()}. */
    static void closeDescriptor(int descriptor) {
        try (Arena arena = Arena.ofConfined()) {
            int r = (int) CLOSE.invokeExact(arena.allocate(ERRNO), descriptor);
            if (r < 0) {
                throw new IllegalStateException("close(" + descriptor + ") failed");
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        closeDescriptor(fd);
    }

    private static void check(long result, MemorySegment errno, String call) throws IOException {
        if (result < 0) {
            throw new IOException(call + ": errno " + (int) ERRNO_VALUE.get(errno, 0L));
        }
    }

    /** A frame: its type (2 REPLY, 3 ERROR, 4 HELLO) and body. */
    record Frame(byte type, byte[] body) {
        ByteBuffer buffer() {
            return ByteBuffer.wrap(body);
        }
    }
}
