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
        try (FileSource source = FileSource.beneath(root)) {
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
            try (BeneathFileSource dev = BeneathFileSource.open(Path.of("/dev"))) {
                assertTrue(dev.mayBlock(), "devfs: a filesystem that is not known to be local");
            }
            return;
        }
        try (BeneathFileSource source = BeneathFileSource.open(root)) {
            assumeTrue(BeneathFileSource.isLocal(fsType(root)), "the temporary directory is on a local filesystem");
            assertFalse(source.mayBlock());
        }
        try (BeneathFileSource proc = BeneathFileSource.open(Path.of("/proc"))) {
            assertTrue(proc.mayBlock(), "a filesystem that is not known to be local");
        }
        assertTrue(BeneathFileSource.isLocal(0xEF53));
        assertTrue(BeneathFileSource.isLocal(0x9123683EL));
        assertTrue(BeneathFileSource.isLocal(0x01021994));
        assertFalse(BeneathFileSource.isLocal(0x6969)); // NFS
        assertFalse(BeneathFileSource.isLocal(0xFE534D42L)); // SMB2
        assertFalse(BeneathFileSource.isLocal(0x65735546)); // FUSE
        assertFalse(BeneathFileSource.isLocal(0x1_0000_EF53L));
        assertFalse(BeneathFileSource.isLocal(0xFFFF_FFFF_9123_683EL));
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
        assertTrue(BeneathFileSource.isLocal("apfs"));
        assertTrue(BeneathFileSource.isLocal("hfs"));
        for (String name : new String[] {"nfs", "smbfs", "afpfs", "webdav", "macfuse", "osxfuse", "lifs", "msdos",
                "exfat", "devfs", "", "APFS"}) {
            assertFalse(BeneathFileSource.isLocal(name), name);
        }
    }
}
