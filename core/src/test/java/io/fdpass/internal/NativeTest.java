package io.fdpass.internal;

import io.fdpass.testing.Sockets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.fdpass.internal.Native.AT_FDCWD;
import static io.fdpass.internal.Native.O_CLOEXEC;
import static io.fdpass.internal.Native.O_DIRECTORY;
import static io.fdpass.internal.Native.O_NOFOLLOW;
import static io.fdpass.internal.Native.O_NONBLOCK;
import static io.fdpass.internal.Native.O_PATH;
import static io.fdpass.internal.Native.O_RDONLY;
import static io.fdpass.internal.Native.STAT_DEV;
import static io.fdpass.internal.Native.STAT_INO;
import static io.fdpass.internal.Native.STAT_LENGTH;
import static io.fdpass.internal.Native.STAT_MODE;
import static io.fdpass.internal.Native.STAT_SIZE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The calls against the kernel: on Linux, and on macOS, where only a run there checks the Darwin structures. */
class NativeTest {
    @TempDir
    Path dir;
    private final List<Integer> opened = new ArrayList<>();
    private long descriptorsBefore;

    @BeforeEach
    void countDescriptors() throws IOException {
        assumeTrue(Native.AVAILABLE, "Linux or macOS, x86_64 or aarch64 only");
        Native.close(Native.openat(AT_FDCWD, "/", O_PATH)); // binds the natives and this thread's scratch first
        descriptorsBefore = TestSyscalls.openDescriptors();
    }

    @AfterEach
    void closeOpened() throws IOException {
        for (int fd : opened) {
            assertEquals(0, Native.close(fd), "close " + fd);
        }
        assertEquals(descriptorsBefore, TestSyscalls.openDescriptors(), "descriptors open after the test");
    }

    private int track(int fd) {
        assertTrue(fd >= 0, () -> "expected a descriptor, got " + Native.strerror(fd));
        opened.add(fd);
        return fd;
    }

    private static long fdinfoFlags(int fd) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
            if (line.startsWith("flags:")) {
                return Long.parseLong(line.substring(6).trim(), 8);
            }
        }
        throw new AssertionError("no flags in fdinfo");
    }

    @Test
    void openFlagsAreTheKernels() throws IOException {
        assumeTrue(Native.LINUX, "/proc/self/fdinfo");
        Files.createDirectory(dir.resolve("d"));
        int path = track(Native.openat(AT_FDCWD, dir.resolve("d").toString(),
                O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        long flags = fdinfoFlags(path);
        assertEquals(O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW
                | O_CLOEXEC | O_NONBLOCK), Long.toOctalString(flags));

        int fd = track(Native.openat(AT_FDCWD, dir.toString(), O_RDONLY | O_NONBLOCK));
        assertEquals(O_NONBLOCK, fdinfoFlags(fd) & (O_NONBLOCK | O_CLOEXEC | O_PATH | 3));
    }

    @Test
    void openat2StaysBeneath() throws IOException {
        assumeTrue(Native.LINUX, "openat2 is Linux's");
        Files.writeString(dir.resolve("f"), "x");
        Files.createSymbolicLink(dir.resolve("abs"), dir.resolve("f"));
        int root = track(Native.openat(AT_FDCWD, dir.toString(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        long resolve = Native.RESOLVE_BENEATH | Native.RESOLVE_NO_MAGICLINKS;

        track(Native.openat2(root, "f", O_RDONLY | O_CLOEXEC, resolve));
        track(Native.openat2(root, "f".getBytes(StandardCharsets.US_ASCII), O_PATH | O_CLOEXEC, resolve));
        assertEquals(-Native.ENOENT, Native.openat2(root, "missing", O_PATH, resolve));
        assertEquals(-Native.EXDEV, Native.openat2(root, "../x", O_PATH, resolve));
        assertEquals(-Native.EXDEV, Native.openat2(root, "/etc", O_PATH, resolve));
        assertEquals(-Native.EXDEV, Native.openat2(root, "abs", O_PATH, resolve));
        track(Native.openat2(root, "f", O_PATH, Native.RESOLVE_NO_SYMLINKS));
        assertEquals(-Native.ELOOP, Native.openat2(root, "abs", O_PATH, Native.RESOLVE_NO_SYMLINKS));
        assertEquals(-Native.ELOOP, Native.openat2(AT_FDCWD, "/proc/self/root", O_PATH,
                Native.RESOLVE_NO_MAGICLINKS));
        // The NUL is added in native memory: a byte array of exactly the name, even full-size, is taken as is.
        byte[] tooLong = new byte[Native.PATH_MAX];
        Arrays.fill(tooLong, (byte) 'a');
        assertEquals(-Native.ENAMETOOLONG, Native.openat2(root, tooLong, O_PATH, resolve));
    }

    @Test
    void fstatDescribesTheFile() throws IOException {
        Path file = Files.write(dir.resolve("f"), new byte[1234]);
        int fd = track(Native.openat(AT_FDCWD, file.toString(), O_PATH | O_CLOEXEC));
        long[] stat = new long[STAT_LENGTH];
        assertEquals(0, Native.fstat(fd, stat));
        assertTrue(Native.isRegular(stat[STAT_MODE]));
        assertEquals(1234, stat[STAT_SIZE]);
        assertEquals(((Number) Files.getAttribute(file, "unix:ino")).longValue(), stat[STAT_INO]);
        assertEquals(((Number) Files.getAttribute(file, "unix:mode")).longValue(), stat[STAT_MODE]);
        if (Native.DARWIN) { // st_dev as is; Linux's is statx's major and minor, which stat encodes otherwise
            long dev = ((Number) Files.getAttribute(file, "unix:dev")).longValue();
            assertEquals(Integer.toUnsignedLong((int) dev), stat[STAT_DEV]);
        }
        long[] again = new long[STAT_LENGTH];
        assertEquals(0, Native.statx(fd, again), "the former name");
        assertArrayEquals(stat, again);

        long[] dirStat = new long[STAT_LENGTH];
        assertEquals(0, Native.fstat(track(Native.openat(AT_FDCWD, dir.toString(), O_PATH)), dirStat));
        assertTrue(Native.isDirectory(dirStat[STAT_MODE]));
        assertEquals(stat[STAT_DEV], dirStat[STAT_DEV]);
        assertNotEquals(stat[STAT_INO], dirStat[STAT_INO]);

        Files.createSymbolicLink(dir.resolve("link"), file);
        byte[] target = new byte[Native.PATH_MAX];
        byte[] name = "xxlinkxx".getBytes(StandardCharsets.US_ASCII);
        int dirFd = track(Native.openat(AT_FDCWD, dir.toString(), O_PATH));
        int n = Native.readlinkat(dirFd, name, 2, 4, target);
        assertEquals(file.toString(), new String(target, 0, n, StandardCharsets.UTF_8));
        assertEquals(-Native.EINVAL, Native.readlinkat(dirFd, "f".getBytes(StandardCharsets.US_ASCII), 0, 1,
                target));
        assertEquals(-Native.ENAMETOOLONG, Native.readlinkat(dirFd, name, 2, 4, new byte[n]));
        if (Native.LINUX) { // a symlink itself opens only with O_PATH
            int link = track(Native.openat(AT_FDCWD, dir.resolve("link").toString(), O_PATH | O_NOFOLLOW));
            assertEquals(0, Native.fstat(link, stat));
            assertTrue(Native.isSymlink(stat[STAT_MODE]));
            assertEquals(n, Native.readlinkat(link, new byte[0], 0, 0, target));
        } else {
            assertEquals(-Native.ELOOP, Native.openat(AT_FDCWD, dir.resolve("link").toString(),
                    O_RDONLY | O_NOFOLLOW));
        }

        assertEquals(-Native.EBADF, Native.fstat(Integer.MAX_VALUE, stat));
    }

    @Test
    void reopenReachesTheSameInode() throws IOException {
        Path file = Files.writeString(dir.resolve("f"), "content");
        int path = track(Native.openat(AT_FDCWD, file.toString(), O_PATH | O_CLOEXEC));
        if (!Native.LINUX) {
            assertEquals(-Native.ENOENT, Native.openProcSelfFd(), "no /proc");
            assertEquals(-Native.ENOENT, Native.reopen(-1, path, O_RDONLY | O_CLOEXEC), "no /proc");
            return;
        }
        int procSelfFd = track(Native.openProcSelfFd());
        long[] a = new long[STAT_LENGTH];
        Native.fstat(path, a);
        // Through the descriptor of /proc/self/fd, and through the whole path.
        for (int through : new int[] {procSelfFd, -1}) {
            int fd = track(Native.reopen(through, path, O_RDONLY | O_CLOEXEC));
            long[] b = new long[STAT_LENGTH];
            Native.fstat(fd, b);
            assertArrayEquals(a, b);
            assertEquals("content", readAll(fd));
            assertEquals(O_RDONLY, Native.getStatusFlags(fd) & Native.O_ACCMODE);
        }
    }

    @Test
    void descriptorFlags() throws IOException {
        int fd = track(Native.openat(AT_FDCWD, dir.toString(), O_RDONLY | O_NONBLOCK));
        assertEquals(0, Native.getFdFlags(fd));
        assertEquals(0, Native.setCloexec(fd));
        assertEquals(Native.FD_CLOEXEC, Native.getFdFlags(fd));
        assertEquals(0, Native.setCloexec(fd));
        int status = Native.getStatusFlags(fd);
        assertEquals(O_RDONLY, status & Native.O_ACCMODE);
        assertEquals(O_NONBLOCK, status & O_NONBLOCK);
        assertEquals(-Native.EBADF, Native.getFdFlags(-1));
        assertEquals(-Native.EBADF, Native.setCloexec(-1));
        assertEquals(-Native.EBADF, Native.getStatusFlags(-1));
    }

    @Test
    void closeReportsErrno() {
        int fd = Native.openat(AT_FDCWD, dir.toString(), O_PATH);
        assertEquals(0, Native.close(fd));
        assertEquals(-Native.EBADF, Native.close(fd));
    }

    @Test
    void socketOutqCountsWhatThePeerHasNotRead() throws IOException {
        int[] pair = Sockets.pair();
        track(pair[0]);
        track(pair[1]);
        assertEquals(0, Native.socketOutq(pair[0]));
        assertEquals(100, TestSyscalls.write(pair[0], new byte[100]));
        assertTrue(Native.socketOutq(pair[0]) >= 100, "kernel memory of the queued buffer");
        ByteBuffer buf = ByteBuffer.allocate(200);
        assertEquals(100, Native.read(pair[1], buf));
        assertEquals(0, Native.socketOutq(pair[0]));

        // Linux counts each small message's buffer, far more than its byte. (macOS appends small writes to the
        // mbuf before; each descriptor message takes two mbufs of its own, which the kqueue suite exercises.)
        for (int i = 0; i < 200; i++) {
            assertEquals(1, TestSyscalls.write(pair[0], new byte[1]));
        }
        int queued = Native.socketOutq(pair[0]);
        assertTrue(queued >= (Native.LINUX ? 200 * 256 : 200), () -> "200 one-byte messages: " + queued);
        for (int read = 0; read < 200; ) {
            buf.clear();
            long n = Native.read(pair[1], buf);
            assertTrue(n > 0);
            read += (int) n;
        }
        assertEquals(0, Native.socketOutq(pair[0]));

        Path file = Files.writeString(dir.resolve("f"), "x");
        int notSocket = Native.socketOutq(track(Native.openat(AT_FDCWD, file.toString(), O_RDONLY)));
        if (Native.LINUX) {
            assertEquals(-Native.ENOTTY, notSocket);
        } else {
            assertTrue(notSocket < 0, "ENOTSOCK");
        }
    }

    @Test
    void readsIntoEveryKindOfBuffer() throws IOException {
        byte[] content = new byte[Native.HEAP_READ_CHUNK * 2 + 100];
        new Random(42).nextBytes(content);
        Path file = Files.write(dir.resolve("f"), content);
        int fd = track(Native.openat(AT_FDCWD, file.toString(), O_RDONLY | O_CLOEXEC));

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(10);
            assertEquals(10, Native.pread(fd, segment, 10, 5));
            assertArrayEquals(Arrays.copyOfRange(content, 5, 15), segment.toArray(JAVA_BYTE));
            assertEquals(4, Native.read(fd, segment, 4));
            assertArrayEquals(Arrays.copyOfRange(content, 0, 4), segment.asSlice(0, 4).toArray(JAVA_BYTE));
            assertEquals(0, Native.pread(fd, segment, 10, content.length));
            assertEquals(-Native.EINVAL, Native.pread(fd, segment, 10, -1));
            assertEquals(-Native.EBADF, Native.read(-1, segment, 10));
            assertThrows(IllegalArgumentException.class, () -> Native.read(fd, segment, 11));
            assertThrows(IllegalArgumentException.class, () -> Native.read(fd, MemorySegment.ofArray(new byte[4]),
                    4));
        }

        ByteBuffer direct = ByteBuffer.allocateDirect(content.length + 10);
        direct.position(3);
        assertEquals(content.length, Native.pread(fd, direct, 0));
        assertEquals(3 + content.length, direct.position());
        byte[] got = new byte[content.length];
        direct.get(3, got);
        assertArrayEquals(content, got);

        ByteBuffer heap = ByteBuffer.wrap(new byte[content.length + 2], 1, content.length + 1).slice();
        long offset = 0;
        long n;
        while ((n = Native.pread(fd, heap, offset)) > 0) {
            assertTrue(n <= Native.HEAP_READ_CHUNK, "one chunk per call");
            offset += n;
        }
        assertEquals(0, n);
        assertEquals(content.length, heap.position());
        heap.flip();
        heap.get(got);
        assertArrayEquals(content, got);

        assertEquals(-Native.EBADF, Native.read(-1, ByteBuffer.allocate(1)));
        assertThrows(IllegalArgumentException.class, () -> Native.read(fd, ByteBuffer.allocate(1).asReadOnlyBuffer()));
    }

    @Test
    void fstatfsTellsTheFilesystem() {
        if (Native.DARWIN) {
            int tmp = track(Native.openat(AT_FDCWD, dir.toString(), O_RDONLY));
            assertTrue(Set.of("apfs", "hfs").contains(Native.fstatfsTypeName(tmp)), Native.fstatfsTypeName(tmp));
            assertEquals("devfs", Native.fstatfsTypeName(track(Native.openat(AT_FDCWD, "/dev", O_RDONLY))));
            assertNull(Native.fstatfsTypeName(-1));
            assertThrows(UnsupportedOperationException.class, () -> Native.fstatfsType(tmp));
            return;
        }
        assertThrows(UnsupportedOperationException.class, () -> Native.fstatfsTypeName(0));
        assertEquals(0x9FA0, Native.fstatfsType(track(Native.openat(AT_FDCWD, "/proc", O_PATH))));
        int shm = Native.openat(AT_FDCWD, "/dev/shm", O_PATH);
        if (shm >= 0) {
            assertEquals(0x01021994, Native.fstatfsType(track(shm)));
        }
        assertEquals(-Native.EBADF, Native.fstatfsType(-1));
    }

    @Test
    void strerrorNamesTheErrno() {
        assertEquals("ENOENT (No such file or directory)", Native.strerror(Native.ENOENT));
        assertEquals("ELOOP (Too many levels of symbolic links)", Native.strerror(-Native.ELOOP));
        assertEquals("errno 1000", Native.strerror(1000));
    }

    @Test
    void callsFromManyThreadsDoNotShareScratch() throws Exception {
        int threads = 4;
        Path[] files = new Path[threads];
        for (int i = 0; i < threads; i++) {
            files[i] = Files.write(dir.resolve("f" + i), new byte[i * 100 + 1]);
        }
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Path file = files[i];
                long size = i * 100 + 1;
                futures.add(executor.submit(() -> {
                    long[] stat = new long[STAT_LENGTH];
                    for (int j = 0; j < 2_000; j++) {
                        int fd = Native.openat(AT_FDCWD, file.toString(), O_PATH | O_CLOEXEC);
                        assertTrue(fd >= 0);
                        assertEquals(0, Native.fstat(fd, stat));
                        assertEquals(0, Native.close(fd));
                        assertEquals(size, stat[STAT_SIZE]);
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void receiveDescriptorTakesOneDescriptorMessageCloseOnExecAndWithItsFlagsAsSent() throws IOException {
        assumeTrue(Native.LINUX, "recvmsg with MSG_CMSG_CLOEXEC: Linux only");
        int[] pair = Sockets.pair();
        track(pair[0]);
        track(pair[1]);
        Path file = Files.writeString(dir.resolve("f"), "content");
        int sent = track(Native.openat(AT_FDCWD, file.toString(), O_RDONLY)); // blocking, not close-on-exec
        assertEquals(-Native.EAGAIN, Native.receiveDescriptor(pair[1]), "nothing sent yet");

        assertEquals(1, Sockets.send(pair[0], new byte[1], sent));
        int received = track(Native.receiveDescriptor(pair[1]));
        assertNotEquals(sent, received);
        assertEquals(Native.FD_CLOEXEC, Native.getFdFlags(received));
        assertEquals(0, Native.getStatusFlags(received) & O_NONBLOCK, "O_NONBLOCK added");
        assertEquals("content", readAll(received));
        assertEquals(-Native.EAGAIN, Native.receiveDescriptor(pair[1]), "one message taken, not more");
    }

    @Test
    void receiveDescriptorRefusesAMessageWithoutExactlyOneDescriptorAndClosesWhatItCarried() throws IOException {
        assumeTrue(Native.LINUX, "recvmsg with MSG_CMSG_CLOEXEC: Linux only");
        int[] pair = Sockets.pair();
        track(pair[1]);
        int a = track(Native.openat(AT_FDCWD, dir.toString(), O_PATH));
        int b = track(Native.openat(AT_FDCWD, dir.toString(), O_PATH));
        int c = track(Native.openat(AT_FDCWD, dir.toString(), O_PATH));
        assertEquals(1, Sockets.send(pair[0], new byte[1], a, b));
        assertEquals(Native.NOT_ONE_DESCRIPTOR, Native.receiveDescriptor(pair[1]), "two descriptors");
        assertEquals(1, Sockets.send(pair[0], new byte[1], a, b, c));
        assertEquals(Native.NOT_ONE_DESCRIPTOR, Native.receiveDescriptor(pair[1]), "three, truncated");
        assertEquals(1, Sockets.send(pair[0], new byte[] {7}));
        assertEquals(Native.NOT_ONE_DESCRIPTOR, Native.receiveDescriptor(pair[1]), "a byte, no descriptor");
        assertEquals(0, Native.close(pair[0]));
        assertEquals(Native.END_OF_STREAM, Native.receiveDescriptor(pair[1]));
        // What the refused messages carried is closed: closeOpened counts this process's descriptors.
    }

    static String readAll(int fd) {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long offset = 0;
        long n;
        while ((n = Native.pread(fd, buf, offset)) > 0) {
            offset += n;
        }
        assertEquals(0, n);
        return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    }
}
