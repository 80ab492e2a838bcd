package io.fdpass.files;

import io.fdpass.codec.FileStatus;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.FileStat;
import io.fdpass.internal.Opens;
import io.fdpass.internal.Platform;
import io.fdpass.testing.Fds;
import io.fdpass.testing.Mounts;
import io.fdpass.testing.TestSyscalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.fdpass.codec.FileStatus.INVALID_NAME;
import static io.fdpass.codec.FileStatus.NOT_FOUND;
import static io.fdpass.codec.FileStatus.NOT_REGULAR_FILE;
import static io.fdpass.codec.FileStatus.OK;
import static io.fdpass.codec.FileStatus.PERMISSION_DENIED;
import static io.fdpass.internal.FileStat.STAT_DEV;
import static io.fdpass.internal.FileStat.STAT_INO;
import static io.fdpass.internal.FileStat.STAT_LENGTH;
import static io.fdpass.internal.FileStat.STAT_MODE;
import static io.fdpass.internal.FileStat.STAT_SIZE;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What every {@link BeneathOpener} must withstand: names and trees built to escape the root, special files, and a
 * tree that changes under the opener. Names reach the opener directly, bypassing {@link Names}. Runs on Linux and
 * on macOS (the openers there can use), but for what only Linux has: /proc's magic links, mknod as root. The tree
 * is where the temporary directory is, or on a tmpfs of its own mounted {@code nodev}, see {@link #onNodevMount}.
 */
abstract class AbstractBeneathOpenerTest {
    private static final String CONTENT = "hello, fdpass";

    @TempDir
    Path tmp;
    Path root;
    Path secret;
    int rootFd = -1;
    /** As the file source holds it; negative without /proc. */
    int procSelfFd = -1;
    private BeneathOpener opener;
    private final Mounts mounts = new Mounts();

    /** The opener under test, made for the root {@code rootFd}, where mounts beneath it may be crossed or not. */
    abstract BeneathOpener opener(boolean allowMounts, int rootFd);

    /** Whether the tree must be on a mount of its own, {@code nodev} (then the test runs only as root). */
    boolean onNodevMount() {
        return false;
    }

    /** The opener for {@link #root}, mounts beneath it not crossed. */
    BeneathOpener opener() {
        return opener;
    }

    @BeforeEach
    void buildTree() throws Exception {
        assumeTrue(Platform.AVAILABLE, "Linux or macOS, x86_64 or aarch64 only");
        if (onNodevMount()) {
            assumeTrue(Mounts.possible(), Mounts.NEEDS_ROOT);
            mounts.tmpfs(tmp, true);
        }
        root = Files.createDirectory(tmp.resolve("root"));
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        secret = Files.writeString(outside.resolve("secret"), "outside");
        Files.writeString(root.resolve("file.txt"), CONTENT);
        Files.createFile(root.resolve("empty"));
        Files.createDirectories(root.resolve("sub/nested"));
        Files.writeString(root.resolve("sub/nested/deep.txt"), "deep");
        link("abs-out", secret.toString());
        link("abs-in", root.resolve("file.txt").toString());
        link("rel-out", "../outside/secret");
        link("sub/rel-out", "../../outside/secret");
        link("rel-in", "sub/../file.txt");
        link("sub/up", "../file.txt");
        link("dirlink", "sub/nested");
        link("dirlink-out", "../outside");
        link("loop-a", "loop-b");
        link("loop-b", "loop-a");
        link("self", "self");
        link("proc-root", "/proc/self/root");
        link("proc-fd", "/proc/self/fd/0");
        link("proc-rel", "../".repeat(root.getNameCount()) + "proc/self/root");
        link("chain-1", "file.txt"); // chain-N takes N symlinks to reach file.txt
        for (int i = 2; i <= WalkingOpener.MAX_SYMLINKS; i++) {
            link("chain-" + i, "chain-" + (i - 1));
        }
        rootFd = Opens.openat(Opens.AT_FDCWD, root.toString(),
                Opens.O_PATH | Opens.O_DIRECTORY | Opens.O_CLOEXEC);
        assertTrue(rootFd >= 0, () -> Errno.strerror(rootFd));
        procSelfFd = Opens.openProcSelfFd();
        opener = opener(false, rootFd);
    }

    static long device(int fd) {
        long[] stat = new long[STAT_LENGTH];
        assertEquals(0, FileStat.fstat(fd, stat));
        return stat[STAT_DEV];
    }

    @AfterEach
    void closeRoot() throws Exception {
        try {
            if (rootFd >= 0) {
                assertEquals(0, Descriptors.close(rootFd));
            }
            if (procSelfFd >= 0) {
                assertEquals(0, Descriptors.close(procSelfFd));
            }
            if (root != null) {
                for (String name : List.of("proc-root", "proc-fd", "proc-rel")) {
                    Files.deleteIfExists(root.resolve(name)); // spares us @TempDir's warnings about links out of it
                }
            }
        } finally {
            mounts.close();
        }
    }

    private void link(String name, String target) throws IOException {
        Files.createSymbolicLink(root.resolve(name), Path.of(target));
    }

    private FileStatus status(BeneathOpener opener, int dirFd, String name) {
        return status(opener, dirFd, procSelfFd, name);
    }

    /** The status the opener's result maps to; an opened descriptor is closed. */
    static FileStatus status(BeneathOpener opener, int dirFd, int procSelfFd, String name) {
        long[] stat = new long[STAT_LENGTH];
        int fd = opener.open(dirFd, procSelfFd, name.getBytes(StandardCharsets.UTF_8), stat);
        if (fd < 0) {
            return BeneathFileSource.statusOf(-fd);
        }
        assertEquals(0, Descriptors.close(fd));
        return OK;
    }

    private FileStatus status(String name) {
        return status(opener(), rootFd, name);
    }

    private void assertStatus(FileStatus expected, String... names) {
        for (String name : names) {
            assertEquals(expected, status(name), name);
        }
    }

    /** Opens {@code name}, which must succeed, and checks the descriptor: its content, size and flags. */
    private void assertOpens(String name, String content) throws IOException {
        long[] stat = new long[STAT_LENGTH];
        int fd = opener().open(rootFd, procSelfFd, name.getBytes(StandardCharsets.UTF_8), stat);
        assertTrue(fd >= 0, () -> name + ": " + Errno.strerror(fd));
        try {
            assertTrue(FileStat.isRegular(stat[STAT_MODE]));
            assertEquals(content.length(), stat[STAT_SIZE]);
            assertEquals(content, Fds.readAll(fd));
            assertEquals(Opens.O_RDONLY, Descriptors.getStatusFlags(fd) & Opens.O_ACCMODE);
            assertEquals(-Errno.EBADF, TestSyscalls.write(fd, new byte[1]), "a read-only descriptor");
            assertEquals(Descriptors.FD_CLOEXEC, Descriptors.getFdFlags(fd) & Descriptors.FD_CLOEXEC);
            long[] actual = new long[STAT_LENGTH];
            assertEquals(0, FileStat.fstat(fd, actual));
            assertEquals(stat[STAT_INO], actual[STAT_INO]);
            assertEquals(stat[STAT_DEV], actual[STAT_DEV]);
        } finally {
            assertEquals(0, Descriptors.close(fd));
        }
    }

    @Test
    void opensRegularFiles() throws IOException {
        assertOpens("file.txt", CONTENT);
        assertOpens("empty", "");
        assertOpens("sub/nested/deep.txt", "deep");
    }

    @Test
    void missingEntries() {
        assertStatus(NOT_FOUND, "missing", "sub/missing", "missing/file.txt", "file.txt/x", "sub/nested/deep.txt/x");
    }

    @Test
    void escapesByDotDotOrAbsoluteName() {
        assertStatus(INVALID_NAME, "..", "../outside/secret", "sub/../../outside/secret", "sub/nested/../../..",
                secret.toString(), "/etc/hostname", "/");
    }

    @Test
    void symlinksStayingInsideAreFollowed() throws IOException {
        assertOpens("rel-in", CONTENT);
        assertOpens("sub/up", CONTENT);
        assertOpens("dirlink/deep.txt", "deep");
        assertOpens("chain-" + WalkingOpener.MAX_SYMLINKS, CONTENT);
    }

    @Test
    void absoluteSymlinksAreRefusedEvenPointingInside() {
        assertStatus(INVALID_NAME, "abs-out", "abs-in");
    }

    @Test
    void relativeSymlinksLeavingTheRootAreRefused() {
        assertStatus(INVALID_NAME, "rel-out", "sub/rel-out", "dirlink-out/secret", "proc-rel");
    }

    @Test
    void loopsAndLongChainsAreRefused() throws IOException {
        link("chain-" + (WalkingOpener.MAX_SYMLINKS + 1), "chain-" + WalkingOpener.MAX_SYMLINKS);
        assertStatus(INVALID_NAME, "loop-a", "self", "self/x", "chain-" + (WalkingOpener.MAX_SYMLINKS + 1));
    }

    @Test
    void magicLinksAreRefused() {
        assertStatus(INVALID_NAME, "proc-root", "proc-fd", "proc-root/etc/hostname");
    }

    /**
     * With the root at "/", /proc is beneath it: its magic links are still refused, a regular file behind one too,
     * mounts crossed or not.
     */
    @Test
    void magicLinksBeneathTheRootAreRefused() throws IOException {
        assumeTrue(Platform.LINUX, "/proc");
        int slash = Opens.openat(Opens.AT_FDCWD, "/", Opens.O_PATH | Opens.O_DIRECTORY | Opens.O_CLOEXEC);
        int file = Opens.openat(Opens.AT_FDCWD, root.resolve("file.txt").toString(), Opens.O_RDONLY);
        try {
            BeneathOpener acrossMounts = opener(true, slash);
            assertEquals(OK, status(acrossMounts, slash, root.resolve("file.txt").toString().substring(1)));
            for (BeneathOpener opener : List.of(acrossMounts, opener(false, slash))) {
                for (String name : new String[] {"proc/self/fd/" + file, "proc/self/root/etc/hostname",
                        "proc/self/cwd/" + root.resolve("file.txt"), "proc/thread-self/fd/" + file}) {
                    assertEquals(INVALID_NAME, status(opener, slash, name), name);
                }
            }
        } finally {
            Descriptors.close(file);
            Descriptors.close(slash);
        }
    }

    @Test
    void directoriesAreNotServed() {
        assertStatus(NOT_REGULAR_FILE, "sub", "sub/nested", "dirlink", ".", "sub/.");
    }

    @Test
    void fifosAreNotOpened() throws Exception {
        assumeTrue(makeFifo(), "mkfifo");
        // Opening a FIFO for reading blocks until a writer comes: none will.
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertStatus(NOT_REGULAR_FILE, "fifo"));
    }

    @Test
    void socketsAreNotServed() throws IOException {
        makeSocket();
        assertStatus(NOT_REGULAR_FILE, "socket");
    }

    @Test
    void devicesAreNotServed() throws Exception {
        assumeTrue(makeDevice(), "mknod needs root (CAP_MKNOD), and Linux's numbers");
        assertStatus(NOT_REGULAR_FILE, "null");
    }

    /** As root (on Linux), on a thread without the capabilities by which root reads any file. */
    @Test
    void unreadableFilesArePermissionDenied() throws Exception {
        boolean asRoot = TestSyscalls.isRoot();
        assumeFalse(asRoot && !Platform.LINUX, "root reads files of mode 000");
        Files.setPosixFilePermissions(root.resolve("file.txt"), PosixFilePermissions.fromString("---------"));
        if (asRoot) {
            TestSyscalls.withoutCapabilities(TestSyscalls.READ_ANY_FILE, () -> {
                assertStatus(PERMISSION_DENIED, "file.txt", "rel-in");
                return null;
            });
        } else {
            assertStatus(PERMISSION_DENIED, "file.txt", "rel-in");
        }
    }


    @Test
    void tooLongNamesAreInvalid() {
        String component = "a".repeat(256);
        StringBuilder path = new StringBuilder("sub");
        while (path.length() < Opens.PATH_MAX) {
            path.append("/x");
        }
        assertStatus(INVALID_NAME, component, "sub/" + component, path.substring(0, Opens.PATH_MAX));
    }

    @Test
    void swappingAFileForASymlinkNeverEscapes() throws Exception {
        Files.writeString(root.resolve("swap"), "inside");
        link("swap-link", "../outside/secret");
        race("swap", root.resolve("swap"), root.resolve("swap-link"));
    }

    @Test
    void swappingADirectoryForASymlinkNeverEscapes() throws Exception {
        Files.createDirectory(root.resolve("d"));
        Files.writeString(root.resolve("d/secret"), "inside");
        link("d-link", "../outside");
        race("d/secret", root.resolve("d"), root.resolve("d-link"));
    }

    /**
     * Exchanges {@code a} and {@code b} (one of them a symlink leading out of the root) in a loop, while opening
     * {@code name} 2,000 times once the exchanges have begun: no descriptor may be of the file outside.
     */
    private void race(String name, Path a, Path b) throws Exception {
        assumeTrue(TestSyscalls.renameat2(a, b, TestSyscalls.RENAME_EXCHANGE) == 0, "renameat2 RENAME_EXCHANGE");
        long[] outside = new long[STAT_LENGTH];
        int secretFd = Opens.openat(Opens.AT_FDCWD, secret.toString(), Opens.O_PATH);
        assertEquals(0, FileStat.fstat(secretFd, outside));
        Descriptors.close(secretFd);

        status(name); // warms up before counting descriptors
        long descriptors = TestSyscalls.openDescriptors();
        AtomicBoolean done = new AtomicBoolean();
        CountDownLatch swapping = new CountDownLatch(1);
        Map<FileStatus, Integer> seen = new LinkedHashMap<>();
        try (ExecutorService executor = Executors.newSingleThreadExecutor()) {
            Future<Integer> swapper = executor.submit(() -> {
                int swaps = 0;
                try {
                    while (!done.get()) {
                        int r = TestSyscalls.renameat2(a, b, TestSyscalls.RENAME_EXCHANGE);
                        if (r < 0) {
                            throw new IllegalStateException(Errno.strerror(r));
                        }
                        swaps++;
                        swapping.countDown();
                    }
                } finally {
                    swapping.countDown(); // a swapper that failed must not leave the opens waiting
                }
                return swaps;
            });
            // The opens can all end before a new thread runs at all: they race a swapper that has begun.
            swapping.await();
            try {
                long[] stat = new long[STAT_LENGTH];
                for (int i = 0; i < 2_000; i++) {
                    int fd = opener().open(rootFd, procSelfFd, name.getBytes(StandardCharsets.UTF_8), stat);
                    seen.merge(fd >= 0 ? OK : BeneathFileSource.statusOf(-fd), 1, Integer::sum);
                    if (fd >= 0) {
                        long[] actual = new long[STAT_LENGTH];
                        FileStat.fstat(fd, actual);
                        Descriptors.close(fd);
                        assertFalse(actual[STAT_INO] == outside[STAT_INO] && actual[STAT_DEV] == outside[STAT_DEV],
                                "opened the file outside the root");
                    }
                }
            } finally {
                done.set(true);
            }
            assertTrue(swapper.get() > 0);
        }
        // NOT_FOUND too: a walk without O_PATH can meet a symlink (ENOTDIR under O_NOFOLLOW | O_DIRECTORY) that is
        // a directory again when it looks closer.
        assertTrue(seen.keySet().stream().allMatch(s -> s == OK || s == INVALID_NAME || s == NOT_FOUND),
                seen::toString);
        assertEquals(descriptors, TestSyscalls.openDescriptors(), "descriptors leaked");
    }

    /** Every case above, on success and on every failure path, leaves no descriptor open. */
    @Test
    void leaksNoDescriptor() throws Exception {
        List<String> names = new ArrayList<>(List.of("file.txt", "empty", "sub/nested/deep.txt", "missing",
                "sub/missing", "file.txt/x", "..", "../outside/secret", "sub/nested/../../..", "/etc/hostname",
                "rel-in", "sub/up", "dirlink/deep.txt", "abs-out", "abs-in", "rel-out", "sub/rel-out",
                "dirlink-out/secret", "proc-rel", "loop-a", "self/x", "proc-root", "proc-fd", "sub", ".", "sub/.",
                "chain-" + WalkingOpener.MAX_SYMLINKS, "a".repeat(256), "x/".repeat(2048)));
        makeSocket();
        names.add("socket");
        if (makeFifo()) {
            names.add("fifo");
        }
        if (makeDevice()) {
            names.add("null");
        }
        names.forEach(this::status); // warms up: classes, this thread's scratch
        long before = TestSyscalls.openDescriptors();
        List<FileStatus> statuses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            names.forEach(name -> statuses.add(status(name)));
        }
        assertEquals(before, TestSyscalls.openDescriptors());
        assertAll(() -> assertTrue(statuses.contains(OK)), () -> assertTrue(statuses.contains(NOT_FOUND)),
                () -> assertTrue(statuses.contains(INVALID_NAME)),
                () -> assertTrue(statuses.contains(NOT_REGULAR_FILE)));
    }

    private boolean makeFifo() throws Exception {
        return TestSyscalls.run("mkfifo", root.resolve("fifo").toString());
    }

    /** /dev/null's numbers on Linux: 1, 3 would be another device elsewhere. */
    private boolean makeDevice() throws Exception {
        return Platform.LINUX && TestSyscalls.isRoot()
                && TestSyscalls.run("mknod", root.resolve("null").toString(), "c", "1", "3");
    }

    private void makeSocket() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(root.resolve("socket")));
        }
    }
}
