package io.fdpass.internal;

import io.fdpass.testing.Fds;
import io.fdpass.testing.Mounts;
import io.fdpass.testing.Sockets;
import io.fdpass.testing.TestSyscalls;
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

import static io.fdpass.internal.FileStat.STAT_DEV;
import static io.fdpass.internal.FileStat.STAT_INO;
import static io.fdpass.internal.FileStat.STAT_LENGTH;
import static io.fdpass.internal.FileStat.STAT_MODE;
import static io.fdpass.internal.FileStat.STAT_SIZE;
import static io.fdpass.internal.Opens.AT_FDCWD;
import static io.fdpass.internal.Opens.O_CLOEXEC;
import static io.fdpass.internal.Opens.O_DIRECTORY;
import static io.fdpass.internal.Opens.O_NOFOLLOW;
import static io.fdpass.internal.Opens.O_NONBLOCK;
import static io.fdpass.internal.Opens.O_PATH;
import static io.fdpass.internal.Opens.O_RDONLY;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The calls against the kernel: on Linux, and on macOS, where only a run there checks the Darwin structures. */
class NativesTest {
    @TempDir
    Path dir;
    private final List<Integer> opened = new ArrayList<>();
    private long descriptorsBefore;

    @BeforeEach
    void countDescriptors() throws IOException {
        assumeTrue(Platform.AVAILABLE, "Linux or macOS, x86_64 or aarch64 only");
        Descriptors.close(Opens.openat(AT_FDCWD, "/", O_PATH)); // binds the natives and this thread's scratch first
        descriptorsBefore = TestSyscalls.openDescriptors();
    }

    @AfterEach
    void closeOpened() throws IOException {
        for (int fd : opened) {
            assertEquals(0, Descriptors.close(fd), "close " + fd);
        }
        assertEquals(descriptorsBefore, TestSyscalls.openDescriptors(), "descriptors open after the test");
    }

    private int track(int fd) {
        assertTrue(fd >= 0, () -> "expected a descriptor, got " + Errno.strerror(fd));
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
        assumeTrue(Platform.LINUX, "/proc/self/fdinfo");
        Files.createDirectory(dir.resolve("d"));
        int path = track(Opens.openat(AT_FDCWD, dir.resolve("d").toString(),
                O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        long flags = fdinfoFlags(path);
        assertEquals(O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW
                | O_CLOEXEC | O_NONBLOCK), Long.toOctalString(flags));

        int fd = track(Opens.openat(AT_FDCWD, dir.toString(), O_RDONLY | O_NONBLOCK));
        assertEquals(O_NONBLOCK, fdinfoFlags(fd) & (O_NONBLOCK | O_CLOEXEC | O_PATH | 3));
    }

    @Test
    void openat2StaysBeneath() throws IOException {
        assumeTrue(Platform.LINUX, "openat2 is Linux's");
        Files.writeString(dir.resolve("f"), "x");
        Files.createSymbolicLink(dir.resolve("abs"), dir.resolve("f"));
        int root = track(Opens.openat(AT_FDCWD, dir.toString(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        long resolve = Opens.RESOLVE_BENEATH | Opens.RESOLVE_NO_MAGICLINKS;

        track(Opens.openat2(root, "f", O_RDONLY | O_CLOEXEC, resolve));
        track(Opens.openat2(root, "f".getBytes(StandardCharsets.US_ASCII), O_PATH | O_CLOEXEC, resolve));
        assertEquals(-Errno.ENOENT, Opens.openat2(root, "missing", O_PATH, resolve));
        assertEquals(-Errno.EXDEV, Opens.openat2(root, "../x", O_PATH, resolve));
        assertEquals(-Errno.EXDEV, Opens.openat2(root, "/etc", O_PATH, resolve));
        assertEquals(-Errno.EXDEV, Opens.openat2(root, "abs", O_PATH, resolve));
        track(Opens.openat2(root, "f", O_PATH, Opens.RESOLVE_NO_SYMLINKS));
        assertEquals(-Errno.ELOOP, Opens.openat2(root, "abs", O_PATH, Opens.RESOLVE_NO_SYMLINKS));
        assertEquals(-Errno.ELOOP, Opens.openat2(AT_FDCWD, "/proc/self/root", O_PATH,
                Opens.RESOLVE_NO_MAGICLINKS));
        // The NUL is added in native memory: a byte array of exactly the name, even full-size, is taken as is.
        byte[] tooLong = new byte[Opens.PATH_MAX];
        Arrays.fill(tooLong, (byte) 'a');
        assertEquals(-Errno.ENAMETOOLONG, Opens.openat2(root, tooLong, O_PATH, resolve));
    }

    @Test
    void fstatDescribesTheFile() throws IOException {
        Path file = Files.write(dir.resolve("f"), new byte[1234]);
        int fd = track(Opens.openat(AT_FDCWD, file.toString(), O_PATH | O_CLOEXEC));
        long[] stat = new long[STAT_LENGTH];
        assertEquals(0, FileStat.fstat(fd, stat));
        assertTrue(FileStat.isRegular(stat[STAT_MODE]));
        assertEquals(1234, stat[STAT_SIZE]);
        assertEquals(((Number) Files.getAttribute(file, "unix:ino")).longValue(), stat[STAT_INO]);
        assertEquals(((Number) Files.getAttribute(file, "unix:mode")).longValue(), stat[STAT_MODE]);
        if (Platform.DARWIN) { // st_dev as is; Linux's is statx's major and minor, which stat encodes otherwise
            long dev = ((Number) Files.getAttribute(file, "unix:dev")).longValue();
            assertEquals(Integer.toUnsignedLong((int) dev), stat[STAT_DEV]);
        }
        long[] again = new long[STAT_LENGTH];
        assertEquals(0, FileStat.fstat(fd, again), "the former name");
        assertArrayEquals(stat, again);

        long[] dirStat = new long[STAT_LENGTH];
        assertEquals(0, FileStat.fstat(track(Opens.openat(AT_FDCWD, dir.toString(), O_PATH)), dirStat));
        assertTrue(FileStat.isDirectory(dirStat[STAT_MODE]));
        assertEquals(stat[STAT_DEV], dirStat[STAT_DEV]);
        assertNotEquals(stat[STAT_INO], dirStat[STAT_INO]);

        Files.createSymbolicLink(dir.resolve("link"), file);
        byte[] target = new byte[Opens.PATH_MAX];
        byte[] name = "xxlinkxx".getBytes(StandardCharsets.US_ASCII);
        int dirFd = track(Opens.openat(AT_FDCWD, dir.toString(), O_PATH));
        int n = Opens.readlinkat(dirFd, name, 2, 4, target);
        assertEquals(file.toString(), new String(target, 0, n, StandardCharsets.UTF_8));
        assertEquals(-Errno.EINVAL, Opens.readlinkat(dirFd, "f".getBytes(StandardCharsets.US_ASCII), 0, 1,
                target));
        assertEquals(-Errno.ENAMETOOLONG, Opens.readlinkat(dirFd, name, 2, 4, new byte[n]));
        if (Platform.LINUX) { // a symlink itself opens only with O_PATH
            int link = track(Opens.openat(AT_FDCWD, dir.resolve("link").toString(), O_PATH | O_NOFOLLOW));
            assertEquals(0, FileStat.fstat(link, stat));
            assertTrue(FileStat.isSymlink(stat[STAT_MODE]));
            assertEquals(n, Opens.readlinkat(link, new byte[0], 0, 0, target));
        } else {
            assertEquals(-Errno.ELOOP, Opens.openat(AT_FDCWD, dir.resolve("link").toString(),
                    O_RDONLY | O_NOFOLLOW));
        }

        assertEquals(-Errno.EBADF, FileStat.fstat(Integer.MAX_VALUE, stat));

        // statAt: the same, by name in a directory, of the symlink itself, without opening it.
        long[] at = new long[STAT_LENGTH];
        assertEquals(0, FileStat.statAt(dirFd, name, 2, 4, at));
        assertTrue(FileStat.isSymlink(at[STAT_MODE]));
        assertEquals(0, FileStat.statAt(dirFd, "f".getBytes(StandardCharsets.US_ASCII), 0, 1, at));
        assertArrayEquals(again, at);
        assertEquals(-Errno.ENOENT, FileStat.statAt(dirFd, name, 0, 2, at));
        assertEquals(-Errno.ENAMETOOLONG, FileStat.statAt(dirFd, new byte[Opens.PATH_MAX], 0, Opens.PATH_MAX, at));
    }

    @Test
    void mountIdsTellMountsApart() throws IOException {
        assumeTrue(Platform.LINUX, "statx's stx_mnt_id is Linux's");
        long proc = FileStat.mountId(track(Opens.openat(AT_FDCWD, "/proc", O_PATH)));
        assumeTrue(proc != -Errno.ENOSYS, "stx_mnt_id (Linux 5.8+)");
        long tmp = FileStat.mountId(track(Opens.openat(AT_FDCWD, dir.toString(), O_PATH)));
        assertTrue(proc > 0 && tmp > 0, proc + ", " + tmp);
        assertNotEquals(proc, tmp);
        assertEquals(proc, FileStat.mountId(track(Opens.openat(AT_FDCWD, "/proc/self", O_PATH))));
        assertEquals(-Errno.EBADF, FileStat.mountId(-1));
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] fields = line.split(" ");
            if (fields[4].equals("/proc")) {
                assertEquals(Long.parseLong(fields[0]), proc, line);
            }
        }
    }

    @Test
    void reopenReachesTheSameInode() throws IOException {
        Path file = Files.writeString(dir.resolve("f"), "content");
        int path = track(Opens.openat(AT_FDCWD, file.toString(), O_PATH | O_CLOEXEC));
        if (!Platform.LINUX) {
            assertEquals(-Errno.ENOENT, Opens.openProcSelfFd(), "no /proc");
            assertEquals(-Errno.ENOENT, Opens.reopen(-1, path, O_RDONLY | O_CLOEXEC), "no /proc");
            return;
        }
        int procSelfFd = track(Opens.openProcSelfFd());
        long[] a = new long[STAT_LENGTH];
        FileStat.fstat(path, a);
        // Through the descriptor of /proc/self/fd, and through the whole path.
        for (int through : new int[] {procSelfFd, -1}) {
            int fd = track(Opens.reopen(through, path, O_RDONLY | O_CLOEXEC));
            long[] b = new long[STAT_LENGTH];
            FileStat.fstat(fd, b);
            assertArrayEquals(a, b);
            assertEquals("content", Fds.readAll(fd));
            assertEquals(O_RDONLY, Descriptors.getStatusFlags(fd) & Opens.O_ACCMODE);
        }
    }

    @Test
    void descriptorFlags() throws IOException {
        int fd = track(Opens.openat(AT_FDCWD, dir.toString(), O_RDONLY | O_NONBLOCK));
        assertEquals(0, Descriptors.getFdFlags(fd));
        assertEquals(0, Descriptors.setCloexec(fd));
        assertEquals(Descriptors.FD_CLOEXEC, Descriptors.getFdFlags(fd));
        assertEquals(0, Descriptors.setCloexec(fd));
        int status = Descriptors.getStatusFlags(fd);
        assertEquals(O_RDONLY, status & Opens.O_ACCMODE);
        assertEquals(O_NONBLOCK, status & O_NONBLOCK);
        assertEquals(-Errno.EBADF, Descriptors.getFdFlags(-1));
        assertEquals(-Errno.EBADF, Descriptors.setCloexec(-1));
        assertEquals(-Errno.EBADF, Descriptors.getStatusFlags(-1));
    }

    @Test
    void closeReportsErrno() {
        int fd = Opens.openat(AT_FDCWD, dir.toString(), O_PATH);
        assertEquals(0, Descriptors.close(fd));
        assertEquals(-Errno.EBADF, Descriptors.close(fd));
    }

    @Test
    void socketOutqCountsWhatThePeerHasNotRead() throws IOException {
        int[] pair = Sockets.pair();
        track(pair[0]);
        track(pair[1]);
        assertEquals(0, SocketCalls.socketOutq(pair[0]));
        assertEquals(100, TestSyscalls.write(pair[0], new byte[100]));
        assertTrue(SocketCalls.socketOutq(pair[0]) >= 100, "kernel memory of the queued buffer");
        ByteBuffer buf = ByteBuffer.allocate(200);
        assertEquals(100, FileReads.read(pair[1], buf));
        assertEquals(0, SocketCalls.socketOutq(pair[0]));

        // Linux counts each small message's buffer, far more than its byte. (macOS appends small writes to the
        // mbuf before; each descriptor message takes two mbufs of its own, which the kqueue suite exercises.)
        for (int i = 0; i < 200; i++) {
            assertEquals(1, TestSyscalls.write(pair[0], new byte[1]));
        }
        int queued = SocketCalls.socketOutq(pair[0]);
        assertTrue(queued >= (Platform.LINUX ? 200 * 256 : 200), () -> "200 one-byte messages: " + queued);
        for (int read = 0; read < 200; ) {
            buf.clear();
            long n = FileReads.read(pair[1], buf);
            assertTrue(n > 0);
            read += (int) n;
        }
        assertEquals(0, SocketCalls.socketOutq(pair[0]));

        Path file = Files.writeString(dir.resolve("f"), "x");
        int notSocket = SocketCalls.socketOutq(track(Opens.openat(AT_FDCWD, file.toString(), O_RDONLY)));
        if (Platform.LINUX) {
            assertEquals(-Errno.ENOTTY, notSocket);
        } else {
            assertTrue(notSocket < 0, "ENOTSOCK");
        }
    }

    @Test
    void theOpenFileLimitIsTheSoftOne() throws IOException {
        long limit = Limits.openFiles();
        assertTrue(limit > 0, "RLIMIT_NOFILE: " + limit);
        Path limits = Path.of("/proc/self/limits");
        if (Files.exists(limits)) {
            String line = Files.readAllLines(limits).stream().filter(l -> l.startsWith("Max open files"))
                    .findFirst().orElseThrow();
            assertEquals(Long.parseLong(line.substring("Max open files".length()).trim().split("\\s+")[0]), limit);
        }
    }

    /** A socket closed with unread input resets its peer; shut down and drained first, its peer reads the end. */
    @Test
    void discardingInputBeforeTheCloseGivesThePeerTheEndOfTheStream() throws IOException {
        int[] pair = Sockets.pair();
        track(pair[1]);
        Sockets.setNonBlocking(pair[0]);
        assertEquals(3, TestSyscalls.write(pair[1], new byte[3]));
        assertEquals(2, SocketCalls.send(pair[0], new byte[] {7, 8}));
        assertEquals(3, SocketCalls.discardInput(pair[0]));
        assertEquals(-Errno.EPIPE, TestSyscalls.write(pair[1], new byte[1]), "input shut down: no more sends");
        assertEquals(0, Descriptors.close(pair[0]));
        ByteBuffer buf = ByteBuffer.allocate(8);
        assertEquals(2, FileReads.read(pair[1], buf), "what was sent before the close");
        assertEquals(0, FileReads.read(pair[1], buf.clear()), "then the end of the stream, not ECONNRESET");
    }

    /** What an io_uring server sends its descriptors with: one byte, one descriptor, as receiveDescriptor takes them. */
    @Test
    void aDescriptorSentIsReceivedCloseOnExecAndAFullSocketSaysEagain() throws IOException {
        assumeTrue(Platform.LINUX, "sendDescriptor is Linux's");
        int[] pair = Sockets.pair();
        track(pair[0]);
        track(pair[1]);
        Sockets.setNonBlocking(pair[0]);
        Path file = Files.writeString(dir.resolve("f"), "content");
        int sent = track(Opens.openat(AT_FDCWD, file.toString(), O_RDONLY | O_CLOEXEC));
        assertEquals(1, SocketCalls.sendDescriptor(pair[0], sent));
        assertTrue(Descriptors.getFdFlags(sent) >= 0, "the sender's copy stays open");
        int received = track(SocketCalls.receiveDescriptor(pair[1]));
        assertEquals(Descriptors.FD_CLOEXEC, Descriptors.getFdFlags(received) & Descriptors.FD_CLOEXEC);
        assertEquals("content", Fds.readAll(received));
        assertEquals(-Errno.EAGAIN, SocketCalls.receiveDescriptor(pair[1]), "one message, nothing more");

        int messages = 0;
        long r;
        while ((r = SocketCalls.sendDescriptor(pair[0], sent)) == 1) {
            messages++;
        }
        assertEquals(-Errno.EAGAIN, r, "a full send buffer, without waiting");
        assertTrue(messages > 0);
        for (int i = 0; i < messages; i++) {
            assertTrue(Descriptors.close(SocketCalls.receiveDescriptor(pair[1])) == 0, "message " + i);
        }
        assertEquals(-Errno.EBADF, SocketCalls.sendDescriptor(-1, sent));
    }

    /** How ListeningSockets puts a listening socket in place of a channel's own: same number, close-on-exec. */
    @Test
    void dup3PutsASocketUnderAnotherNumberCloseOnExec() throws IOException {
        assumeTrue(Platform.LINUX, "dup3 is Linux's");
        String path = dir.resolve("l.sock").toString();
        int listening = track(TestSyscalls.listeningSocket(path));
        Sockets.setNonBlocking(listening);
        int[] pair = Sockets.pair();
        track(pair[1]);
        int target = track(pair[0]);
        assertEquals(target, Descriptors.dup3(listening, target));
        assertEquals(Descriptors.FD_CLOEXEC, Descriptors.getFdFlags(target) & Descriptors.FD_CLOEXEC);
        track(TestSyscalls.connectedSocket(path));
        track(SocketCalls.accept(target)); // accepts on the listening socket, under its new number
        assertEquals(-Errno.EBADF, Descriptors.dup3(-1, target));
    }

    @Test
    void acceptTakesAWaitingConnectionOrSaysNoneWaits() {
        String path = dir.resolve("l.sock").toString();
        int listening = track(TestSyscalls.listeningSocket(path));
        Sockets.setNonBlocking(listening);
        assertEquals(-Errno.EAGAIN, SocketCalls.accept(listening));
        int client = track(TestSyscalls.connectedSocket(path));
        int accepted = track(SocketCalls.accept(listening));
        assertEquals(Descriptors.FD_CLOEXEC, Descriptors.getFdFlags(accepted) & Descriptors.FD_CLOEXEC);
        int dup = track(Descriptors.dup(accepted));
        assertEquals(Descriptors.FD_CLOEXEC, Descriptors.getFdFlags(dup) & Descriptors.FD_CLOEXEC);
        assertEquals(0, SocketCalls.shutdown(dup, SocketCalls.SHUT_RDWR));
        assertEquals(0, FileReads.read(client, ByteBuffer.allocate(1)), "the end of the stream, though still open");
    }

    @Test
    void readsIntoEveryKindOfBuffer() throws IOException {
        byte[] content = new byte[FileReads.HEAP_READ_CHUNK * 2 + 100];
        new Random(42).nextBytes(content);
        Path file = Files.write(dir.resolve("f"), content);
        int fd = track(Opens.openat(AT_FDCWD, file.toString(), O_RDONLY | O_CLOEXEC));

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(10);
            assertEquals(10, FileReads.pread(fd, segment, 10, 5));
            assertArrayEquals(Arrays.copyOfRange(content, 5, 15), segment.toArray(JAVA_BYTE));
            assertEquals(4, FileReads.read(fd, segment, 4));
            assertArrayEquals(Arrays.copyOfRange(content, 0, 4), segment.asSlice(0, 4).toArray(JAVA_BYTE));
            assertEquals(0, FileReads.pread(fd, segment, 10, content.length));
            assertEquals(-Errno.EINVAL, FileReads.pread(fd, segment, 10, -1));
            assertEquals(-Errno.EBADF, FileReads.read(-1, segment, 10));
            assertThrows(IllegalArgumentException.class, () -> FileReads.read(fd, segment, 11));
            assertThrows(IllegalArgumentException.class, () -> FileReads.read(fd, MemorySegment.ofArray(new byte[4]),
                    4));
        }

        ByteBuffer direct = ByteBuffer.allocateDirect(content.length + 10);
        direct.position(3);
        assertEquals(content.length, FileReads.pread(fd, direct, 0));
        assertEquals(3 + content.length, direct.position());
        byte[] got = new byte[content.length];
        direct.get(3, got);
        assertArrayEquals(content, got);

        ByteBuffer heap = ByteBuffer.wrap(new byte[content.length + 2], 1, content.length + 1).slice();
        long offset = 0;
        long n;
        while ((n = FileReads.pread(fd, heap, offset)) > 0) {
            assertTrue(n <= FileReads.HEAP_READ_CHUNK, "one chunk per call");
            offset += n;
        }
        assertEquals(0, n);
        assertEquals(content.length, heap.position());
        heap.flip();
        heap.get(got);
        assertArrayEquals(content, got);

        assertEquals(-Errno.EBADF, FileReads.read(-1, ByteBuffer.allocate(1)));
        assertThrows(IllegalArgumentException.class, () -> FileReads.read(fd, ByteBuffer.allocate(1).asReadOnlyBuffer()));
    }

    @Test
    void fstatfsTellsTheFilesystem() {
        if (Platform.DARWIN) {
            int tmp = track(Opens.openat(AT_FDCWD, dir.toString(), O_RDONLY));
            assertTrue(Set.of("apfs", "hfs").contains(FileStat.fstatfsTypeName(tmp)), FileStat.fstatfsTypeName(tmp));
            assertEquals("devfs", FileStat.fstatfsTypeName(track(Opens.openat(AT_FDCWD, "/dev", O_RDONLY))));
            assertNull(FileStat.fstatfsTypeName(-1));
            assertThrows(UnsupportedOperationException.class, () -> FileStat.fstatfsType(tmp));
            return;
        }
        assertThrows(UnsupportedOperationException.class, () -> FileStat.fstatfsTypeName(0));
        assertEquals(0x9FA0, FileStat.fstatfsType(track(Opens.openat(AT_FDCWD, "/proc", O_PATH))));
        int shm = Opens.openat(AT_FDCWD, "/dev/shm", O_PATH);
        if (shm >= 0) {
            assertEquals(0x01021994, FileStat.fstatfsType(track(shm)));
        }
        assertEquals(-Errno.EBADF, FileStat.fstatfsType(-1));
        assertEquals(-Errno.EBADF, FileStat.fstatfsFlags(-1));
    }

    /** The mount's flags as the kernel has them: those of a tmpfs mounted here, and after a remount. */
    @Test
    void fstatfsTellsTheMountsFlags() throws Exception {
        assumeTrue(Mounts.possible(), Mounts.NEEDS_ROOT);
        try (Mounts mounts = new Mounts()) {
            Path nodev = mounts.tmpfs(dir.resolve("nodev"), true);
            int fd = Opens.openat(AT_FDCWD, nodev.toString(), O_PATH);
            try {
                long stNosuid = 2;
                long flags = FileStat.fstatfsFlags(fd);
                assertEquals(FileStat.ST_NODEV | stNosuid, flags & (FileStat.ST_NODEV | stNosuid | 1),
                        Long.toHexString(flags));
                mounts.remount(nodev, "dev");
                assertEquals(0, FileStat.fstatfsFlags(fd) & FileStat.ST_NODEV, "the remount shows at once");
                assertEquals(0x01021994, FileStat.fstatfsType(fd));
            } finally {
                assertEquals(0, Descriptors.close(fd));
            }
        }
    }

    @Test
    void strerrorNamesTheErrno() {
        assertEquals("ENOENT (No such file or directory)", Errno.strerror(Errno.ENOENT));
        assertEquals("ELOOP (Too many levels of symbolic links)", Errno.strerror(-Errno.ELOOP));
        assertEquals("errno 1000", Errno.strerror(1000));
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
                        int fd = Opens.openat(AT_FDCWD, file.toString(), O_PATH | O_CLOEXEC);
                        assertTrue(fd >= 0);
                        assertEquals(0, FileStat.fstat(fd, stat));
                        assertEquals(0, Descriptors.close(fd));
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
        assumeTrue(Platform.LINUX, "recvmsg with MSG_CMSG_CLOEXEC: Linux only");
        int[] pair = Sockets.pair();
        track(pair[0]);
        track(pair[1]);
        Path file = Files.writeString(dir.resolve("f"), "content");
        int sent = track(Opens.openat(AT_FDCWD, file.toString(), O_RDONLY)); // blocking, not close-on-exec
        assertEquals(-Errno.EAGAIN, SocketCalls.receiveDescriptor(pair[1]), "nothing sent yet");

        assertEquals(1, Sockets.send(pair[0], new byte[1], sent));
        int received = track(SocketCalls.receiveDescriptor(pair[1]));
        assertNotEquals(sent, received);
        assertEquals(Descriptors.FD_CLOEXEC, Descriptors.getFdFlags(received));
        assertEquals(0, Descriptors.getStatusFlags(received) & O_NONBLOCK, "O_NONBLOCK added");
        assertEquals("content", Fds.readAll(received));
        assertEquals(-Errno.EAGAIN, SocketCalls.receiveDescriptor(pair[1]), "one message taken, not more");
    }

    @Test
    void receiveDescriptorRefusesAMessageWithoutExactlyOneDescriptorAndClosesWhatItCarried() throws IOException {
        assumeTrue(Platform.LINUX, "recvmsg with MSG_CMSG_CLOEXEC: Linux only");
        int[] pair = Sockets.pair();
        track(pair[1]);
        int a = track(Opens.openat(AT_FDCWD, dir.toString(), O_PATH));
        int b = track(Opens.openat(AT_FDCWD, dir.toString(), O_PATH));
        int c = track(Opens.openat(AT_FDCWD, dir.toString(), O_PATH));
        assertEquals(1, Sockets.send(pair[0], new byte[1], a, b));
        assertEquals(SocketCalls.NOT_ONE_DESCRIPTOR, SocketCalls.receiveDescriptor(pair[1]), "two descriptors");
        assertEquals(1, Sockets.send(pair[0], new byte[1], a, b, c));
        assertEquals(SocketCalls.NOT_ONE_DESCRIPTOR, SocketCalls.receiveDescriptor(pair[1]), "three, truncated");
        assertEquals(1, Sockets.send(pair[0], new byte[] {7}));
        assertEquals(SocketCalls.NOT_ONE_DESCRIPTOR, SocketCalls.receiveDescriptor(pair[1]), "a byte, no descriptor");
        assertEquals(0, Descriptors.close(pair[0]));
        assertEquals(SocketCalls.END_OF_STREAM, SocketCalls.receiveDescriptor(pair[1]));
        // What the refused messages carried is closed: closeOpened counts this process's descriptors.
    }
}
