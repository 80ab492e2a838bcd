package io.fdpass.testing;


import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.Opens;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Unix stream socket pairs written to by hand, for tests of what a receiver makes of the messages on them, faulty
 * ones included (Linux's 64-bit {@code msghdr} and {@code cmsghdr}).
 */
@SuppressWarnings("restricted")
public final class Sockets {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final VarHandle ERRNO_VALUE =
            Linker.Option.captureStateLayout().varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SOCKETPAIR = bind("socketpair",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SENDMSG = bind("sendmsg",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FCNTL = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("fcntl"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO, Linker.Option.firstVariadicArg(2));
    private static final int F_SETFL = 4;

    private Sockets() {
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), descriptor, ERRNO);
    }

    /** A connected pair of Unix stream sockets, blocking. */
    public static int[] pair() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int r = (int) SOCKETPAIR.invokeExact(state, 1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0, fds);
            if (r < 0) {
                throw new IOException("socketpair: " + Errno.strerror((int) ERRNO_VALUE.get(state, 0L)));
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Sends {@code data} in one {@code sendmsg(2)}, with {@code fds} in one SCM_RIGHTS control message if there are
     * any: one byte and one descriptor make a descriptor message. Bytes sent, or a negative errno.
     */
    public static long send(int socket, byte[] data, int... fds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            MemorySegment iov = arena.allocate(16, 8);
            iov.set(ADDRESS, 0, arena.allocateFrom(JAVA_BYTE, data));
            iov.set(JAVA_LONG, 8, (long) data.length);
            MemorySegment message = arena.allocate(56, 8);
            message.set(ADDRESS, 16, iov);
            message.set(JAVA_LONG, 24, 1L);
            if (fds.length > 0) {
                long controlLength = 16 + 4L * fds.length; // CMSG_LEN
                MemorySegment control = arena.allocate((controlLength + 7) & ~7L, 8);
                control.set(JAVA_LONG, 0, controlLength);
                control.set(JAVA_INT, 8, 1); // SOL_SOCKET
                control.set(JAVA_INT, 12, 1); // SCM_RIGHTS
                for (int i = 0; i < fds.length; i++) {
                    control.set(JAVA_INT, 16 + 4L * i, fds[i]);
                }
                message.set(ADDRESS, 32, control);
                message.set(JAVA_LONG, 40, control.byteSize());
            }
            long r = (long) SENDMSG.invokeExact(state, socket, message, 0);
            return r < 0 ? -(int) ERRNO_VALUE.get(state, 0L) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Sends one byte with a descriptor of each of {@code names} (opened read-only beneath {@code root}) in one message,
     * and closes those descriptors: bytes sent, or a negative errno.
     */
    public static long sendDescriptorMessage(int socket, Path root, String... names) throws IOException {
        int[] fds = new int[names.length];
        Arrays.fill(fds, -1);
        try {
            for (int i = 0; i < names.length; i++) {
                fds[i] = Opens.openat(Opens.AT_FDCWD, root.resolve(names[i]).toString(), Opens.O_RDONLY);
                if (fds[i] < 0) {
                    throw new IOException(names[i] + ": " + Errno.strerror(fds[i]));
                }
            }
            return send(socket, new byte[1], fds);
        } finally {
            for (int fd : fds) {
                if (fd >= 0) {
                    Descriptors.close(fd);
                }
            }
        }
    }

    /** Adds O_NONBLOCK to the socket's file status flags, as Netty expects of a socket it is handed. */
    public static void setNonBlocking(int socket) {
        setNonBlocking(socket, true);
    }

    /** Takes O_NONBLOCK from the socket's file status flags. */
    public static void setBlocking(int socket) {
        setNonBlocking(socket, false);
    }

    private static void setNonBlocking(int socket, boolean on) {
        int flags = Descriptors.getStatusFlags(socket);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int r = flags < 0 ? flags : (int) FCNTL.invokeExact(state, socket, F_SETFL,
                    on ? flags | Opens.O_NONBLOCK : flags & ~Opens.O_NONBLOCK);
            if (r < 0) {
                throw new AssertionError("fcntl(F_SETFL) of " + socket + " failed");
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
