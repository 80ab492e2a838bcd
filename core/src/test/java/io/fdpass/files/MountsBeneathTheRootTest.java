package io.fdpass.files;

import io.fdpass.FileSource;
import io.fdpass.OpenResult;
import io.fdpass.Peer;
import io.fdpass.codec.FileStatus;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.FileReads;
import io.fdpass.internal.FileStat;
import io.fdpass.internal.Opens;
import io.fdpass.testing.Fds;
import io.fdpass.testing.Mounts;
import io.fdpass.testing.TestSyscalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.fdpass.codec.FileStatus.INVALID_NAME;
import static io.fdpass.codec.FileStatus.NOT_FOUND;
import static io.fdpass.codec.FileStatus.NOT_REGULAR_FILE;
import static io.fdpass.codec.FileStatus.OK;
import static io.fdpass.codec.FileStatus.PERMISSION_DENIED;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Protocol v1, "Mounts beneath the root", and the nodev way of "Opening", on real mounts (Linux, as root; skipped
 * otherwise): a root on a tmpfs of its own, {@code nodev} or not, with procfs, sysfs, a devtmpfs and another tmpfs
 * mounted beneath it, as in a container's root filesystem. Every way of opening gives every name the same status,
 * mounts crossed or not.
 */
class MountsBeneathTheRootTest {
    private static final Peer PEER = new Peer(1000, 1000, 42);

    /** The ways of opening, each made for one root. */
    enum Way {
        TYPE_FIRST, NODEV, WALK, PORTABLE_WALK;

        BeneathOpener opener(boolean allowMounts, int rootFd) {
            long dev = AbstractBeneathOpenerTest.device(rootFd);
            return switch (this) {
                case TYPE_FIRST -> new Openat2Opener(allowMounts, dev, FileStat.mountId(rootFd));
                case NODEV -> new NodevOpener(new Openat2Opener(allowMounts, dev, FileStat.mountId(rootFd)));
                case WALK -> new WalkingOpener(true, allowMounts, dev);
                case PORTABLE_WALK -> new WalkingOpener(false, allowMounts, dev);
            };
        }

        /** The ways that serve a root of this kind: the nodev one only where the kernel refuses devices. */
        static Set<Way> on(boolean nodevRoot) {
            return nodevRoot ? EnumSet.allOf(Way.class) : EnumSet.complementOf(EnumSet.of(NODEV));
        }
    }

    @TempDir
    Path tmp;
    private final Mounts mounts = new Mounts();
    private Path root;
    private int rootFd = -1;
    private int procSelfFd = -1;

    /** The root, its mounts and its files; skips where that cannot be. */
    private void mountRoot(boolean nodev) throws Exception {
        assumeTrue(Mounts.possible(), Mounts.NEEDS_ROOT);
        Openat2OpenerTest.assumeOpenat2();
        root = mounts.tmpfs(tmp.resolve("root"), nodev);
        Files.writeString(root.resolve("file.txt"), "the root's own");
        mounts.mount("proc", root.resolve("proc"), null);
        mounts.mount("sysfs", root.resolve("sys"), null);
        mounts.mount("devtmpfs", root.resolve("dev"), null);
        Path other = mounts.tmpfs(root.resolve("other"), false);
        Files.writeString(other.resolve("f.txt"), "another mount's");
        Files.createSymbolicLink(other.resolve("up"), Path.of("../file.txt"));
        Files.createSymbolicLink(other.resolve("abs"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(root.resolve("to-other"), Path.of("other/f.txt"));
        Files.createSymbolicLink(root.resolve("to-mem"), Path.of("proc/self/mem"));
        rootFd = Opens.openat(Opens.AT_FDCWD, root.toString(), Opens.O_PATH | Opens.O_DIRECTORY | Opens.O_CLOEXEC);
        assertTrue(rootFd >= 0, () -> Errno.strerror(rootFd));
        procSelfFd = Opens.openProcSelfFd();
        long flags = FileStat.fstatfsFlags(rootFd);
        assertEquals(nodev, (flags & FileStat.ST_NODEV) != 0, "ST_NODEV in " + Long.toHexString(flags));
    }

    @AfterEach
    void unmount() throws Exception {
        try {
            if (rootFd >= 0) {
                assertEquals(0, Descriptors.close(rootFd));
            }
            if (procSelfFd >= 0) {
                assertEquals(0, Descriptors.close(procSelfFd));
            }
        } finally {
            mounts.close();
        }
    }

    /** Names that differ between mounts crossed (the first status) and not (the second), and those that do not. */
    private static Map<String, FileStatus[]> names() {
        Map<String, FileStatus[]> names = new LinkedHashMap<>();
        both(names, OK, "file.txt");
        both(names, INVALID_NAME, "other/abs", "proc/self/root/etc/passwd", "proc/1/root/etc/passwd",
                "proc/self/fd/0", "proc/self/ns/net", "proc/self/exe", "../file.txt");
        // The server's memory, environment, mappings, command line; the kernel's views.
        both(names, PERMISSION_DENIED, "proc/self/mem", "proc/self/environ", "proc/self/maps", "proc/self/cmdline",
                "to-mem", "proc/version", "sys/kernel/uevent_seqnum");
        across(names, OK, "other/f.txt", "to-other", "other/up");
        across(names, NOT_FOUND, "other/missing", "proc/missing", "sys/missing");
        across(names, NOT_REGULAR_FILE, "other", "proc", "proc/self", "sys", "dev", "dev/null");
        return names;
    }

    private static void both(Map<String, FileStatus[]> names, FileStatus status, String... list) {
        for (String name : list) {
            names.put(name, new FileStatus[] {status, status});
        }
    }

    /** Names with {@code status} where mounts are crossed, PERMISSION_DENIED where not. */
    private static void across(Map<String, FileStatus[]> names, FileStatus status, String... list) {
        for (String name : list) {
            names.put(name, new FileStatus[] {status, PERMISSION_DENIED});
        }
    }

    private FileStatus status(BeneathOpener opener, String name) {
        return AbstractBeneathOpenerTest.status(opener, rootFd, procSelfFd, name);
    }

    private void assertStatuses(boolean nodevRoot, boolean allowMounts) throws IOException {
        Map<String, FileStatus[]> names = names();
        List<Runnable> checks = new ArrayList<>();
        long before = TestSyscalls.openDescriptors();
        for (Way way : Way.on(nodevRoot)) {
            BeneathOpener opener = way.opener(allowMounts, rootFd);
            names.forEach((name, expected) -> {
                FileStatus actual = status(opener, name);
                checks.add(() -> assertEquals(expected[allowMounts ? 0 : 1], actual, way + ": " + name));
            });
        }
        assertAll(checks.stream().map(check -> check::run));
        assertEquals(before, TestSyscalls.openDescriptors(), "descriptors leaked");
    }

    @ParameterizedTest(name = "root nodev: {0}")
    @ValueSource(booleans = {false, true})
    void otherMountsAreNotCrossedByDefault(boolean nodevRoot) throws Exception {
        mountRoot(nodevRoot);
        assertStatuses(nodevRoot, false);
    }

    @ParameterizedTest(name = "root nodev: {0}")
    @ValueSource(booleans = {false, true})
    void otherMountsAreCrossedWhereAllowedButPseudoFilesystemsNever(boolean nodevRoot) throws Exception {
        mountRoot(nodevRoot);
        assertStatuses(nodevRoot, true);
    }

    /** The source picks the way by the root's mount, logs it, and answers as its opener does. */
    @ParameterizedTest(name = "root nodev: {0}")
    @ValueSource(booleans = {false, true})
    void theSourcePicksTheWayByTheRootsMount(boolean nodevRoot) throws Exception {
        mountRoot(nodevRoot);
        String way = nodevRoot ? "openat2, nodev: open then check" : "openat2, type first (root mount allows devices)";
        try (BeneathFileSource byDefault = BeneathFileSource.open(root);
             FileSource acrossMounts = BeneathFileSource.open(root, true)) {
            assertEquals("BeneathFileSource(" + root + ", " + way + "; mounts beneath the root not crossed)",
                    byDefault.toString());
            assertEquals("BeneathFileSource(" + root + ", " + way
                    + "; mounts beneath the root crossed, but never onto a pseudo filesystem)",
                    acrossMounts.toString());
            names().forEach((name, expected) -> {
                assertEquals(expected[1], statusOf(byDefault.open(name, PEER)), "by default: " + name);
                assertEquals(expected[0], statusOf(acrossMounts.open(name, PEER)), "mounts crossed: " + name);
            });
            OpenResult other = acrossMounts.open("other/f.txt", PEER);
            try {
                assertEquals("another mount's", Fds.readAll(other.descriptor().intValue()));
            } finally {
                Descriptors.close(other.descriptor().intValue());
            }
        }
    }

    private static FileStatus statusOf(OpenResult result) {
        if (result.descriptor() != null) {
            Descriptors.close(result.descriptor().intValue());
        }
        return result.status();
    }

    /**
     * A bind mount of the root's own filesystem: another mount by its id, which the kernel's resolution tells, but
     * not by its device, all that the walks (old kernels, macOS) can look at.
     */
    @Test
    void aBindMountOfTheRootsOwnFilesystemIsAnotherMountToTheKernel() throws Exception {
        mountRoot(true);
        Files.createDirectory(root.resolve("sub"));
        Files.writeString(root.resolve("sub/x"), "x");
        mounts.bind(root.resolve("sub"), root.resolve("bound"));
        for (Way way : Way.on(true)) {
            boolean kernel = way == Way.TYPE_FIRST || way == Way.NODEV;
            assertEquals(kernel ? PERMISSION_DENIED : OK, status(way.opener(false, rootFd), "bound/x"), way.name());
            assertEquals(OK, status(way.opener(true, rootFd), "bound/x"), way.name());
        }
    }

    /**
     * A device node beneath the root is NOT_REGULAR_FILE, and its driver's open never runs: a pseudo-terminal's
     * slave, whose master reads EIO instead of EAGAIN once the slave was opened and closed. The portable walk
     * opens devices (protocol v1, "Opening", way 3), so it runs here only where the kernel refuses them.
     */
    @ParameterizedTest(name = "root nodev: {0}")
    @ValueSource(booleans = {false, true})
    void aDeviceIsNeverOpened(boolean nodevRoot) throws Exception {
        mountRoot(nodevRoot);
        int master = TestSyscalls.openPtyMaster();
        try {
            Path slave = TestSyscalls.ptsName(master);
            long rdev = (Long) Files.getAttribute(slave, "unix:rdev");
            // glibc's gnu_dev_major and gnu_dev_minor
            long major = (rdev >>> 8) & 0xFFF | (rdev >>> 32) & ~0xFFFL;
            long minor = rdev & 0xFF | (rdev >>> 12) & ~0xFFL;
            assertTrue(TestSyscalls.run("mknod", root.resolve("tty").toString(), "c", Long.toString(major),
                    Long.toString(minor)));
            for (Way way : Way.on(nodevRoot)) {
                if (way == Way.PORTABLE_WALK && !nodevRoot) {
                    continue;
                }
                for (boolean allowMounts : new boolean[] {false, true}) {
                    assertEquals(NOT_REGULAR_FILE, status(way.opener(allowMounts, rootFd), "tty"), way.name());
                    assertEquals(-Errno.EAGAIN, readMaster(master), way + ": the slave was opened");
                }
            }
            // The check itself: opening the slave leaves its trace.
            int fd = Opens.openat(Opens.AT_FDCWD, slave.toString(), BeneathOpener.READ_FLAGS);
            assertTrue(fd >= 0, () -> Errno.strerror(fd));
            Descriptors.close(fd);
            assertEquals(-Errno.EIO, readMaster(master));
        } finally {
            Descriptors.close(master);
        }
    }

    private static long readMaster(int master) {
        return FileReads.read(master, ByteBuffer.allocateDirect(16));
    }

    /** A FIFO without a writer never blocks an open (the nodev way opens it, O_NONBLOCK; the others do not). */
    @ParameterizedTest(name = "root nodev: {0}")
    @ValueSource(booleans = {false, true})
    void aFifoNeverBlocks(boolean nodevRoot) throws Exception {
        mountRoot(nodevRoot);
        assertTrue(TestSyscalls.run("mkfifo", root.resolve("fifo").toString()));
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (Way way : Way.on(nodevRoot)) {
                for (boolean allowMounts : new boolean[] {false, true}) {
                    assertEquals(NOT_REGULAR_FILE, status(way.opener(allowMounts, rootFd), "fifo"), way.name());
                }
            }
        });
    }

    /**
     * A magic link of a process that this one may not trace: procfs refuses to follow it (EACCES) before the
     * kernel's resolution would refuse it as a magic link (ELOOP). It is INVALID_NAME all the same, as every
     * magic link is. The process: another user's; this one: a thread without CAP_SYS_PTRACE.
     */
    @Test
    void aMagicLinkProcfsWillNotFollowIsStillInvalidName() throws Exception {
        mountRoot(true);
        assumeTrue(TestSyscalls.run("setpriv", "--version"), "setpriv (util-linux)");
        Process other = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c",
                "echo ready; exec sleep 60").redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(other.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("ready", CompletableFuture.supplyAsync(() -> readLine(out)).get(10, TimeUnit.SECONDS));
            String pid = Long.toString(other.pid());
            List<String> names = List.of("proc/" + pid + "/root/etc/passwd", "proc/" + pid + "/cwd",
                    "proc/" + pid + "/fd/1");
            TestSyscalls.withoutCapabilities(TestSyscalls.TRACE_ANY_PROCESS, () -> {
                byte[] link = ("proc/" + pid + "/root").getBytes(StandardCharsets.UTF_8);
                assertEquals(-Errno.EACCES, Opens.readlinkat(rootFd, link, 0, link.length, new byte[64]),
                        "procfs's ptrace check");
                assertEquals(-Errno.EACCES, Opens.openat2(rootFd, names.get(0), Opens.O_PATH,
                        Openat2Opener.RESOLVE), "what the kernel's resolution answers");
                for (Way way : Way.on(true)) {
                    for (boolean allowMounts : new boolean[] {false, true}) {
                        for (String name : names) {
                            assertEquals(INVALID_NAME, status(way.opener(allowMounts, rootFd), name),
                                    way + ", mounts crossed " + allowMounts + ": " + name);
                        }
                    }
                }
                return null;
            });
        } finally {
            other.destroyForcibly();
            other.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String readLine(BufferedReader reader) {
        try {
            return reader.readLine();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Remounting the root {@code dev} while a source serves it is not watched: the source keeps its way. */
    @Test
    void theWayIsPickedOnceAtOpen() throws Exception {
        mountRoot(true);
        try (BeneathFileSource source = BeneathFileSource.open(root)) {
            mounts.remount(root, "dev");
            assertEquals(0, FileStat.fstatfsFlags(rootFd) & FileStat.ST_NODEV);
            assertTrue(source.toString().contains("nodev: open then check"), source.toString());
            try (BeneathFileSource again = BeneathFileSource.open(root)) {
                assertTrue(again.toString().contains("type first"), again.toString());
            }
        }
    }
}
