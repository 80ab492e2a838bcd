package io.fdpass.files;

import io.fdpass.FileSource;
import io.fdpass.OpenResult;
import io.fdpass.Peer;
import io.fdpass.codec.FileStatus;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.FileStat;
import io.fdpass.internal.Opens;
import io.fdpass.internal.Platform;
import io.fdpass.testing.Fds;
import io.fdpass.testing.Mounts;
import io.fdpass.testing.TestSyscalls;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class BeneathFileSourceTest {
    private static final Peer PEER = new Peer(1000, 1000, 42);

    @TempDir
    Path root;

    @BeforeEach
    void nativeCalls() {
        assumeTrue(Platform.AVAILABLE, "Linux or macOS, x86_64 or aarch64 only");
    }

    @Test
    void opensBeneathTheRoot() throws IOException {
        Files.writeString(root.resolve("courses.txt"), "sixteen bytes...");
        try (BeneathFileSource source = BeneathFileSource.open(root)) {
            OpenResult result = source.open("courses.txt", PEER);
            assertEquals(FileStatus.OK, result.status());
            assertEquals(16, result.size());
            assertEquals("sixteen bytes...", Fds.readAll(result.descriptor().intValue()));
            assertEquals(0, Descriptors.close(result.descriptor().intValue()));

            OpenResult bytes = source.open("courses.txt".getBytes(StandardCharsets.UTF_8), PEER);
            assertEquals(FileStatus.OK, bytes.status());
            assertEquals(0, Descriptors.close(bytes.descriptor().intValue()));

            assertEquals(FileStatus.NOT_FOUND, source.open("missing.txt", PEER).status());
            assertNull(source.open("missing.txt", PEER).descriptor());
            assertEquals(FileStatus.INVALID_NAME, source.open("../x", PEER).status());
            assertTrue(source.toString().contains(Platform.LINUX ? "openat2" : "walking"), source.toString());
        }
    }

    @Test
    void isTheDefaultSource() throws IOException {
        try (FileSource source = BeneathFileSource.open(root, false)) {
            assertInstanceOf(BeneathFileSource.class, source);
        }
    }

    @Test
    void rootMustBeAnOpenableDirectory() throws IOException {
        Path file = Files.writeString(root.resolve("file"), "x");
        IOException notDirectory = assertThrows(IOException.class, () -> BeneathFileSource.open(file));
        assertEquals("root: " + file + " (not a directory)", notDirectory.getMessage());
        IOException missing = assertThrows(IOException.class, () -> BeneathFileSource.open(root.resolve("no")));
        assertEquals("root: " + root.resolve("no") + " (no such directory)", missing.getMessage());
    }

    @Test
    void localFilesystemsDoNotBlock() throws IOException {
        if (Platform.DARWIN) {
            try (BeneathFileSource source = BeneathFileSource.open(root)) {
                assertFalse(source.mayBlock(), "the temporary directory, on APFS");
            }
            return;
        }
        try (BeneathFileSource source = BeneathFileSource.open(root)) {
            assumeTrue(Filesystems.isLocal(fsType(root)), "the temporary directory is on a local filesystem");
            assertFalse(source.mayBlock());
        }
        assertTrue(Filesystems.isLocal(0xEF53));
        assertTrue(Filesystems.isLocal(0x9123683EL));
        assertTrue(Filesystems.isLocal(0x01021994));
        assertFalse(Filesystems.isLocal(0x6969)); // NFS
        assertFalse(Filesystems.isLocal(0xFE534D42L)); // SMB2
        assertFalse(Filesystems.isLocal(0x65735546)); // FUSE
        assertFalse(Filesystems.isLocal(0x1_0000_EF53L));
        assertFalse(Filesystems.isLocal(0xFFFF_FFFF_9123_683EL));
    }

    /** hugetlbfs: a filesystem that is neither known to be local nor a pseudo one, mounted here as root. */
    @Test
    void filesystemsNotKnownToBeLocalMayBlock() throws Exception {
        assumeTrue(Mounts.possible(), Mounts.NEEDS_ROOT);
        try (Mounts mounts = new Mounts()) {
            Path huge = mounts.mount("hugetlbfs", root.resolve("huge"), null);
            try (BeneathFileSource source = BeneathFileSource.open(huge)) {
                assertTrue(source.mayBlock(), source.toString());
                assertTrue(source.toString().endsWith(", may block)"), source.toString());
            }
        }
    }

    @Test
    void aRootOnAPseudoFilesystemIsRefused() {
        Path pseudo = Path.of(Platform.DARWIN ? "/dev" : "/proc");
        IOException e = assertThrows(IOException.class, () -> BeneathFileSource.open(pseudo));
        assertEquals("root: " + pseudo + " (a pseudo filesystem, type " + (Platform.DARWIN ? "devfs" : "0x9fa0")
                + ", whose files are views of the kernel)", e.getMessage());
        assertThrows(IOException.class, () -> BeneathFileSource.open(pseudo, true));
    }

    @Test
    void pseudoFilesystemsByType() {
        for (long type : new long[] {0x9FA0, 0x62656572, 0x64626720, 0x74726163, 0x73636673, 0x27E0EB, 0x63677270,
                0xCAFE4A11L, 0x6165676C, 0x62656570, 0xDE5E81E4L, 0x65735543, 0x42494E4D, 0x1CD1, 0x19800202,
                0x6E736673}) {
            assertTrue(Filesystems.isPseudo(type), Long.toHexString(type));
        }
        for (long type : new long[] {0xEF53, 0x01021994, 0x858458F6L, 0x958458F6L, 0x794C7630, 0x6969, 0x65735546,
                0x1_0000_9FA0L}) {
            assertFalse(Filesystems.isPseudo(type), Long.toHexString(type));
        }
        for (String name : new String[] {"devfs", "fdesc", "autofs"}) {
            assertTrue(Filesystems.isPseudo(name), name);
        }
        for (String name : new String[] {"apfs", "hfs", "nfs", "smbfs", "msdos", "", "DEVFS"}) {
            assertFalse(Filesystems.isPseudo(name), name);
        }
    }

    private static long fsType(Path path) {
        int fd = Opens.openat(Opens.AT_FDCWD, path.toString(), Opens.O_PATH);
        try {
            return FileStat.fstatfsType(fd);
        } finally {
            Descriptors.close(fd);
        }
    }

    @Test
    void errnoMapsToTheSpecStatus() {
        assertEquals(FileStatus.NOT_FOUND, BeneathFileSource.statusOf(Errno.ENOENT));
        assertEquals(FileStatus.NOT_FOUND, BeneathFileSource.statusOf(Errno.ENOTDIR));
        assertEquals(FileStatus.PERMISSION_DENIED, BeneathFileSource.statusOf(Errno.EACCES));
        assertEquals(FileStatus.PERMISSION_DENIED, BeneathFileSource.statusOf(Errno.EPERM));
        assertEquals(FileStatus.INVALID_NAME, BeneathFileSource.statusOf(Errno.EXDEV));
        assertEquals(FileStatus.INVALID_NAME, BeneathFileSource.statusOf(Errno.ELOOP));
        assertEquals(FileStatus.INVALID_NAME, BeneathFileSource.statusOf(Errno.ENAMETOOLONG));
        assertEquals(FileStatus.NOT_REGULAR_FILE, BeneathFileSource.statusOf(Errno.ENXIO));
        assertEquals(FileStatus.NOT_REGULAR_FILE, BeneathFileSource.statusOf(Errno.ENODEV));
        assertEquals(FileStatus.NOT_REGULAR_FILE, BeneathFileSource.statusOf(Errno.EISDIR));
        assertEquals(FileStatus.LIMIT_EXCEEDED, BeneathFileSource.statusOf(Errno.EMFILE));
        assertEquals(FileStatus.LIMIT_EXCEEDED, BeneathFileSource.statusOf(Errno.ENFILE));
        assertEquals(FileStatus.IO_ERROR, BeneathFileSource.statusOf(Errno.EIO));
        assertEquals(FileStatus.IO_ERROR, BeneathFileSource.statusOf(Errno.EAGAIN));
        assertEquals(FileStatus.IO_ERROR, BeneathFileSource.statusOf(Errno.EINVAL));
    }

    @Test
    void closeReleasesTheRootOnceOpensAreDone() throws Exception {
        Files.writeString(root.resolve("f"), "x");
        BeneathFileSource.open(root).close(); // warms up
        long before = TestSyscalls.openDescriptors();
        BeneathFileSource source = BeneathFileSource.open(root);
        // The root, and on Linux /proc/self/fd to reopen through.
        assertEquals(before + (Platform.LINUX ? 2 : 1), TestSyscalls.openDescriptors());

        CountDownLatch started = new CountDownLatch(4);
        List<Future<Integer>> openers = new ArrayList<>();
        try (ExecutorService executor = Executors.newFixedThreadPool(4)) {
            for (int t = 0; t < 4; t++) {
                openers.add(executor.submit(() -> {
                    started.countDown();
                    int opened = 0;
                    for (;;) {
                        OpenResult result = source.open("f", PEER);
                        if (result.status() != FileStatus.OK) {
                            assertEquals(FileStatus.IO_ERROR, result.status());
                            return opened;
                        }
                        Descriptors.close(result.descriptor().intValue());
                        opened++;
                    }
                }));
            }
            started.await();
            source.close();
            source.close();
            for (Future<Integer> opener : openers) {
                opener.get();
            }
        }
        assertEquals(FileStatus.IO_ERROR, source.open("f", PEER).status());
        assertEquals(before, TestSyscalls.openDescriptors());
    }

    @Test
    void localFilesystemsByName() {
        assertTrue(Filesystems.isLocal("apfs"));
        assertTrue(Filesystems.isLocal("hfs"));
        for (String name : new String[] {"nfs", "smbfs", "afpfs", "webdav", "macfuse", "osxfuse", "lifs", "msdos",
                "exfat", "devfs", "", "APFS"}) {
            assertFalse(Filesystems.isLocal(name), name);
        }
    }
}
