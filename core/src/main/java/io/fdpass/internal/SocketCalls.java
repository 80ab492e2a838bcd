package io.fdpass.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * What Netty does not ask of a Unix socket: how much its peer has not read yet, one descriptor message taken
 * without Netty's read loop, a listening socket made in the calling thread, and the few calls that serve a
 * connection outside Netty (accepted with no descriptor to spare for a channel, or whose input is discarded before
 * it closes).
 */
public final class SocketCalls {
    /** The longest path a Unix socket takes, in bytes without its NUL: {@code sun_path} holds 108 (macOS 104). */
    public static final int MAX_SOCKET_PATH = Platform.DARWIN ? 103 : 107;

    /** {@link #receiveDescriptor} took a message that carried no descriptor, or more than one (closed). */
    public static final int NOT_ONE_DESCRIPTOR = Integer.MIN_VALUE;
    /** {@link #receiveDescriptor} found the peer's end of stream. */
    public static final int END_OF_STREAM = Integer.MIN_VALUE + 1;

    // Linux only.
    private static final long SIOCOUTQ = 0x5411; // = TIOCOUTQ
    // <sys/socket.h>, 64 bits: struct msghdr, struct iovec, struct cmsghdr (size_t cmsg_len, int level, int type).
    private static final long MSGHDR_SIZE = 56;
    private static final long MSG_NAME = 0;
    private static final long MSG_NAMELEN = 8;
    private static final long MSG_IOV = 16;
    private static final long MSG_IOVLEN = 24;
    private static final long MSG_CONTROL = 32;
    private static final long MSG_CONTROLLEN = 40;
    private static final long MSG_FLAGS = 48;
    private static final long IOVEC_SIZE = 16;
    private static final long CMSG_LEVEL = 8;
    private static final long CMSG_TYPE = 12;
    private static final long CMSG_DATA = 16;
    /** CMSG_SPACE of two descriptors: room for one more than a descriptor message may carry, to see that it did. */
    private static final long CONTROL_SIZE = CMSG_DATA + 8;
    /** CMSG_SPACE of one descriptor (4 bytes, aligned to 8): the control data of a message that carries one. */
    private static final long CMSG_SPACE_ONE = CMSG_DATA + 8;
    private static final long CONTROL_OFFSET = MSGHDR_SIZE + IOVEC_SIZE;
    private static final int LINUX_SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int SOCK_NONBLOCK = 04000;
    private static final int SOCK_CLOEXEC = 02000000;
    /** Reads of {@link FileReads#HEAP_READ_CHUNK} that {@link #discardInput} makes at most: 1 MiB. */
    private static final int DISCARD_READS = 16;
    // Darwin only: <sys/socket.h>, <sys/proc_info.h>.
    private static final int AF_UNIX = 1;
    private static final int SOL_SOCKET = 0xffff;
    private static final int SO_SNDBUF = 0x1001;
    private static final int PROC_PIDFDSOCKETINFO = 3;
    /**
     * xnu reserves {@code sb_efficiency} (8) times a socket buffer's bytes for its mbufs ({@code sbreserve} in
     * {@code uipc_socket2.c}).
     */
    private static final int SB_EFFICIENCY = 8;
    private static final int PID = Platform.DARWIN ? (int) ProcessHandle.current().pid() : 0;
    private static final int SOCK_STREAM = 1;
    /** {@code sizeof(struct sockaddr_un)}, whose path follows two bytes: Linux's family, macOS's length and family. */
    private static final int SOCKADDR_UN_SIZE = Platform.DARWIN ? 106 : 110;

    private static final class Ioctl {
        static final MethodHandle HANDLE = Ffm.bind("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2, Platform.LINUX);
    }

    private static final class Recvmsg {
        static final MethodHandle HANDLE = Ffm.bind("recvmsg",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), -1, Platform.LINUX);
    }

    private static final class Sendmsg {
        static final MethodHandle HANDLE = Ffm.bind("sendmsg",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), -1, Platform.LINUX);
    }

    private static final class Accept4 {
        static final MethodHandle HANDLE = Ffm.bind("accept4",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), -1, Platform.LINUX);
    }

    private static final class Accept {
        static final MethodHandle HANDLE = Ffm.bind("accept",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), -1, Platform.DARWIN);
    }

    private static final class Shutdown {
        static final MethodHandle HANDLE = Ffm.bind("shutdown",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
    }

    private static final class Send {
        static final MethodHandle HANDLE = Ffm.bind("send",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), -1);
    }

    private static final class Getsockopt {
        static final MethodHandle HANDLE = Ffm.bind("getsockopt",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), -1, Platform.DARWIN);
    }

    private static final class Socket {
        static final MethodHandle HANDLE = Ffm.bind("socket",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), -1);
    }

    private static final class Bind {
        static final MethodHandle HANDLE = Ffm.bind("bind",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);
    }

    private static final class Listen {
        static final MethodHandle HANDLE = Ffm.bind("listen",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
    }

    private static final class ProcPidfdinfo {
        static final MethodHandle HANDLE = Ffm.bind("proc_pidfdinfo",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1, Platform.DARWIN);
    }

    private SocketCalls() {
    }

    /**
     * What is wrong with a socket path that the kernel cannot bind or connect to whole, or null: Netty cuts a longer
     * one short, so a server would listen where no client looks.
     */
    public static String socketPathProblem(Path path) {
        int length = path.toString().getBytes(StandardCharsets.UTF_8).length;
        return length <= MAX_SOCKET_PATH ? null : path + ": " + length + " bytes (expected: <= " + MAX_SOCKET_PATH
                + ", what a Unix socket's address holds)";
    }

    /**
     * How much of the socket's send capacity is taken by what the peer has not read yet: 0 means that the peer
     * read everything; {@code SO_SNDBUF} minus this is the room a send finds.
     *
     * <p>Linux: {@code SIOCOUTQ}, which for a Unix socket counts the kernel memory of the queued buffers, not their
     * payload.
     *
     * <p>macOS: not {@code SO_NWRITE}, which reads the socket's own send buffer, always empty for a Unix stream
     * socket: xnu appends what is sent to the peer's receive buffer, and shrinks the sender's send buffer
     * ({@code sb_hiwat} by the unread bytes, {@code sb_mbmax} by their mbuf memory) until the peer reads. So this
     * reads the shrunk send buffer ({@code proc_pidfdinfo}) and measures the room left as {@code sosend} does
     * ({@code sbspace}: the lesser of bytes and mbuf memory, the latter scaled back by {@code sb_efficiency}),
     * against {@code SO_SNDBUF}, which reports the unshrunk size.
     *
     * @return bytes, or a negative errno
     */
    public static int socketOutq(int socketFd) {
        Ffm.Scratch s = Ffm.scratch();
        if (Platform.DARWIN) {
            return darwinSocketOutq(s, socketFd);
        }
        try {
            int r = (int) Ioctl.HANDLE.invokeExact(s.errno, socketFd, SIOCOUTQ, s.word);
            return r < 0 ? r : s.word.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    private static int darwinSocketOutq(Ffm.Scratch s, int socketFd) {
        s.wordLength.set(JAVA_INT, 0, 4); // socklen_t
        try {
            int r = (int) Getsockopt.HANDLE.invokeExact(s.errno, socketFd, SOL_SOCKET, SO_SNDBUF, s.word, s.wordLength);
            if (r < 0) {
                return r;
            }
            int n = (int) ProcPidfdinfo.HANDLE.invokeExact(s.errno, PID, socketFd, PROC_PIDFDSOCKETINFO, s.struct,
                    (int) s.struct.byteSize());
            if (n < DarwinStructs.SOCKET_FDINFO.byteSize()) { // libproc answers 0 and sets errno
                int errno = s.errno();
                return -(errno != 0 ? errno : Errno.EIO);
            }
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
        return darwinSocketOutq(s.word.get(JAVA_INT, 0), s.struct);
    }

    /**
     * {@link #socketOutq} on macOS, from the socket's {@code SO_SNDBUF} and its {@link DarwinStructs#SOCKET_FDINFO}.
     *
     * @return bytes, or {@code -EINVAL} if the socket is not a Unix socket (or the structure is not read right)
     */
    static int darwinSocketOutq(int sendBuffer, MemorySegment info) {
        if (info.get(JAVA_INT, DarwinStructs.SOI_FAMILY) != AF_UNIX) {
            return -Errno.EINVAL;
        }
        // Signed and wrapping, as sbspace computes: sb_mbmax, unsigned, wraps below 0 when mbufs overrun it.
        int bytes = info.get(JAVA_INT, DarwinStructs.SBI_HIWAT) - info.get(JAVA_INT, DarwinStructs.SBI_CC);
        int mbufs = (info.get(JAVA_INT, DarwinStructs.SBI_MBMAX) - info.get(JAVA_INT, DarwinStructs.SBI_MBCNT))
                / SB_EFFICIENCY;
        int room = Math.max(0, Math.min(bytes, mbufs));
        return Math.max(0, sendBuffer - room);
    }

    /**
     * Takes one descriptor message from a Unix stream socket if one is there, without waiting: {@code recvmsg(2)}
     * with a one-byte buffer, {@code MSG_DONTWAIT}, and {@code MSG_CMSG_CLOEXEC}, so the descriptor is close-on-exec
     * from the moment it exists and its file status flags stay as the sender left them (Netty's {@code recvFd} adds
     * {@code O_NONBLOCK} to them and needs one {@code fcntl} more for close-on-exec).
     *
     * <p>Linux only. Whoever calls it must be the socket's only reader at that moment (its event loop).
     *
     * @return the descriptor; a negative errno if nothing was taken ({@code -EAGAIN}: no message there yet);
     *         {@link #END_OF_STREAM}; or {@link #NOT_ONE_DESCRIPTOR} if a message was taken that did not carry
     *         exactly one descriptor (or whose control data was truncated), after closing what it carried
     */
    public static int receiveDescriptor(int socketFd) {
        Ffm.Scratch s = Ffm.scratch();
        MemorySegment message = s.message();
        message.set(JAVA_LONG, MSG_CONTROLLEN, CONTROL_SIZE); // the kernel sets it to the length it wrote
        long r;
        try {
            r = (long) Recvmsg.HANDLE.invokeExact(s.errno, socketFd, message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
        if (r < 0) {
            return (int) r;
        }
        if (r == 0) {
            return END_OF_STREAM; // a stream socket cannot carry descriptors without a byte
        }
        long controlLength = message.get(JAVA_LONG, MSG_CONTROLLEN);
        int descriptors = 0;
        if (controlLength > CMSG_DATA && message.get(JAVA_INT, CONTROL_OFFSET + CMSG_LEVEL) == LINUX_SOL_SOCKET
                && message.get(JAVA_INT, CONTROL_OFFSET + CMSG_TYPE) == SCM_RIGHTS) {
            long cmsgLength = message.get(JAVA_LONG, CONTROL_OFFSET);
            descriptors = (int) ((Math.min(cmsgLength, controlLength) - CMSG_DATA) / 4);
        }
        if (descriptors == 1 && (message.get(JAVA_INT, MSG_FLAGS) & MSG_CTRUNC) == 0) {
            return message.get(JAVA_INT, CONTROL_OFFSET + CMSG_DATA);
        }
        for (int i = 0; i < descriptors; i++) {
            Descriptors.close(message.get(JAVA_INT, CONTROL_OFFSET + CMSG_DATA + 4L * i));
        }
        return NOT_ONE_DESCRIPTOR;
    }

    /**
     * Sends one descriptor message, as protocol v1 has it: one byte (0) and one {@code SCM_RIGHTS} control message
     * holding {@code descriptor}, in one {@code sendmsg(2)}, without waiting ({@code MSG_DONTWAIT}) and without
     * SIGPIPE. The message header is all set here, no field left to chance. {@code descriptor} stays open.
     *
     * <p>Linux only. Whoever calls it must be the socket's only writer at that moment.
     *
     * @return 1, or a negative errno ({@code -EAGAIN}: the socket's send buffer is full)
     */
    public static long sendDescriptor(int socketFd, int descriptor) {
        Ffm.Scratch s = Ffm.scratch();
        MemorySegment message = s.message();
        message.set(JAVA_LONG, MSG_NAME, 0L);
        message.set(JAVA_INT, MSG_NAMELEN, 0);
        message.set(JAVA_LONG, MSG_CONTROLLEN, CMSG_SPACE_ONE);
        message.set(JAVA_INT, MSG_FLAGS, 0);
        message.set(JAVA_LONG, CONTROL_OFFSET, CMSG_DATA + 4); // cmsg_len: CMSG_LEN(sizeof(int))
        message.set(JAVA_INT, CONTROL_OFFSET + CMSG_LEVEL, LINUX_SOL_SOCKET);
        message.set(JAVA_INT, CONTROL_OFFSET + CMSG_TYPE, SCM_RIGHTS);
        message.set(JAVA_INT, CONTROL_OFFSET + CMSG_DATA, descriptor);
        message.set(JAVA_BYTE, CONTROL_OFFSET + CONTROL_SIZE, (byte) 0);
        try {
            return (long) Sendmsg.HANDLE.invokeExact(s.errno, socketFd, message, MSG_DONTWAIT | MSG_NOSIGNAL);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /**
     * A Unix stream socket bound to {@code path} and listening, close-on-exec (and on Linux non-blocking, as Netty
     * wants it): made in the calling thread, as a launcher like systemd makes one to hand over.
     *
     * @return the descriptor, or a negative errno; {@code -ENAMETOOLONG} for a path that {@code sun_path} cannot
     *         hold
     */
    public static int listen(String path, int backlog) {
        byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        if (bytes.length + 2 >= SOCKADDR_UN_SIZE) {
            return -Errno.ENAMETOOLONG;
        }
        Ffm.Scratch s = Ffm.scratch();
        int type = Platform.LINUX ? SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC : SOCK_STREAM;
        try {
            int fd = (int) Socket.HANDLE.invokeExact(s.errno, AF_UNIX, type, 0);
            if (fd < 0) {
                return fd;
            }
            MemorySegment address = s.path.asSlice(0, SOCKADDR_UN_SIZE).fill((byte) 0);
            if (Platform.DARWIN) {
                address.set(JAVA_BYTE, 0, (byte) SOCKADDR_UN_SIZE);
                address.set(JAVA_BYTE, 1, (byte) AF_UNIX);
            } else {
                address.set(JAVA_SHORT, 0, (short) AF_UNIX);
            }
            MemorySegment.copy(bytes, 0, address, JAVA_BYTE, 2, bytes.length);
            int r = Platform.DARWIN ? Descriptors.setCloexec(fd) : 0;
            if (r == 0) {
                r = (int) Bind.HANDLE.invokeExact(s.errno, fd, address, SOCKADDR_UN_SIZE);
            }
            if (r == 0) {
                r = (int) Listen.HANDLE.invokeExact(s.errno, fd, backlog);
            }
            if (r < 0) {
                Descriptors.close(fd);
                return r;
            }
            return fd;
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /**
     * Accepts one connection of a listening socket, non-blocking and close-on-exec, without its address.
     *
     * @return the connection's descriptor, or a negative errno ({@code -EAGAIN}: none is waiting)
     */
    public static int accept(int listeningFd) {
        Ffm.Scratch s = Ffm.scratch();
        if (Platform.DARWIN) {
            // xnu's accept gives the new socket the listening socket's O_NONBLOCK, which Netty set; no SOCK_CLOEXEC.
            int fd;
            try {
                fd = (int) Accept.HANDLE.invokeExact(s.errno, listeningFd, MemorySegment.NULL, MemorySegment.NULL);
            } catch (Throwable t) {
                throw Ffm.rethrow(t);
            }
            if (fd >= 0) {
                Descriptors.setCloexec(fd);
            }
            return fd;
        }
        try {
            return (int) Accept4.HANDLE.invokeExact(s.errno, listeningFd, MemorySegment.NULL, MemorySegment.NULL,
                    SOCK_NONBLOCK | SOCK_CLOEXEC);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /**
     * Sends {@code bytes} on a non-blocking socket in one call, without SIGPIPE where the platform has a flag for it
     * (the JVM ignores SIGPIPE elsewhere).
     *
     * @return the bytes sent, or a negative errno
     */
    public static long send(int socketFd, byte[] bytes) {
        Ffm.Scratch s = Ffm.scratch();
        MemorySegment buffer = s.bounce();
        int length = Math.min(bytes.length, (int) buffer.byteSize());
        MemorySegment.copy(bytes, 0, buffer, JAVA_BYTE, 0, length);
        int flags = Platform.LINUX ? MSG_NOSIGNAL : 0;
        try {
            return (long) Send.HANDLE.invokeExact(s.errno, socketFd, buffer, (long) length, flags);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /**
     * Sends what {@code src} holds from its position to its limit on a non-blocking socket, as much as it takes now
     * ({@code send(2)}, without SIGPIPE where the platform has a flag for it), and advances {@code src}'s position by
     * it; a heap buffer goes through a native one, {@link FileReads#HEAP_READ_CHUNK} at most.
     *
     * @return the bytes sent, or a negative errno ({@code -EAGAIN}: the socket's send buffer is full)
     */
    public static long send(int socketFd, ByteBuffer src) {
        Ffm.Scratch s = Ffm.scratch();
        int position = src.position();
        MemorySegment from;
        long length;
        if (src.isDirect()) {
            from = MemorySegment.ofBuffer(src);
            length = src.remaining();
        } else {
            from = s.bounce();
            length = Math.min(src.remaining(), from.byteSize());
            MemorySegment.copy(src.array(), src.arrayOffset() + position, from, JAVA_BYTE, 0, (int) length);
        }
        int flags = Platform.LINUX ? MSG_NOSIGNAL : 0;
        long n;
        try {
            do {
                n = (long) Send.HANDLE.invokeExact(s.errno, socketFd, from, length, flags);
            } while (n == -Errno.EINTR);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
        if (n > 0) {
            src.position(position + (int) n);
        }
        return n;
    }

    /** Buffers {@link #send(int, ByteBuffer[], int)} gathers at most. */
    public static final int MAX_GATHERED = 64;

    /**
     * Sends the first {@code count} of {@code srcs}, direct buffers, each from its position to its limit, in one
     * {@code sendmsg(2)} on a non-blocking socket (one message, as a gathering write makes), as much as the socket
     * takes now, without SIGPIPE. Moves no position. Linux only.
     *
     * @param count 1..{@link #MAX_GATHERED}
     * @return the bytes sent, or a negative errno ({@code -EAGAIN}: the socket's send buffer is full)
     */
    public static long send(int socketFd, ByteBuffer[] srcs, int count) {
        if (count < 1 || count > MAX_GATHERED) {
            throw new IllegalArgumentException("count: " + count + " (expected: 1.." + MAX_GATHERED + ")");
        }
        Ffm.Scratch s = Ffm.scratch();
        MemorySegment message = s.gather();
        MemorySegment iovecs = message.asSlice(MSGHDR_SIZE);
        for (int i = 0; i < count; i++) {
            ByteBuffer src = srcs[i];
            if (!src.isDirect()) {
                throw new IllegalArgumentException("srcs[" + i + "]: a heap buffer (expected: direct)");
            }
            iovecs.set(ADDRESS, IOVEC_SIZE * i, MemorySegment.ofBuffer(src));
            iovecs.set(JAVA_LONG, IOVEC_SIZE * i + 8, src.remaining());
        }
        message.set(JAVA_LONG, MSG_IOVLEN, count);
        long n;
        try {
            do {
                n = (long) Sendmsg.HANDLE.invokeExact(s.errno, socketFd, message, MSG_NOSIGNAL);
            } while (n == -Errno.EINTR);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
        return n;
    }

    /** A {@code struct msghdr} with no name and no control data, its iovecs right behind it: for gathering sends. */
    static MemorySegment newGatherMessage() {
        MemorySegment m = Arena.ofAuto().allocate(MSGHDR_SIZE + IOVEC_SIZE * MAX_GATHERED, 8);
        m.set(ADDRESS, MSG_IOV, m.asSlice(MSGHDR_SIZE));
        return m;
    }

    /** {@link #shutdown}: no more input (the peer's sends then fail with EPIPE). */
    public static final int SHUT_RD = 0;
    /** {@link #shutdown}: neither direction (the peer also reads the end of the stream after what is queued). */
    public static final int SHUT_RDWR = 2;

    /**
     * Ends one or both directions of a socket for every descriptor of it, although the socket stays open here.
     *
     * @param how {@link #SHUT_RD} or {@link #SHUT_RDWR} (the same on Linux and macOS)
     * @return 0 or a negative errno
     */
    public static int shutdown(int socketFd, int how) {
        try {
            return Math.min((int) Shutdown.HANDLE.invokeExact(Ffm.scratch().errno, socketFd, how), 0);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /**
     * Takes no more input on a non-blocking socket about to be closed, and reads and drops what it has received and
     * not read yet, up to 1 MiB. A Unix socket closed with unread input makes its peer's next read fail with
     * {@code ECONNRESET} instead of reaching the end of the stream: a server calls this before it closes, so that its
     * client reads the end of what it was sent cleanly. Once input is shut down the peer's sends fail (EPIPE) rather
     * than queue more behind what is dropped.
     *
     * @return the bytes dropped
     */
    public static long discardInput(int socketFd) {
        shutdown(socketFd, SHUT_RD);
        MemorySegment buffer = Ffm.scratch().bounce();
        long dropped = 0;
        for (int i = 0; i < DISCARD_READS; i++) {
            long n = FileReads.read(socketFd, buffer, buffer.byteSize());
            if (n <= 0) {
                break; // EAGAIN: nothing more; 0: the peer's end of stream
            }
            dropped += n;
        }
        return dropped;
    }

    /**
     * A {@code struct msghdr} for one byte and {@link #CONTROL_SIZE} of control data, which sits at
     * {@link #CONTROL_OFFSET}: what {@link #receiveDescriptor} receives into and {@link #sendDescriptor} sends from
     * (no name, one iovec: the zeroed fields that neither sets).
     */
    static MemorySegment newMessage() {
        MemorySegment m = Arena.ofAuto().allocate(CONTROL_OFFSET + CONTROL_SIZE + 8, 8);
        MemorySegment iov = m.asSlice(MSGHDR_SIZE, IOVEC_SIZE);
        MemorySegment data = m.asSlice(CONTROL_OFFSET + CONTROL_SIZE, 1);
        iov.set(ADDRESS, 0, data);
        iov.set(JAVA_LONG, 8, 1L);
        m.set(ADDRESS, MSG_IOV, iov);
        m.set(JAVA_LONG, MSG_IOVLEN, 1L);
        m.set(ADDRESS, MSG_CONTROL, m.asSlice(CONTROL_OFFSET, CONTROL_SIZE));
        return m;
    }
}
