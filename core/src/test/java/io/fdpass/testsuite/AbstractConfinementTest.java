package io.fdpass.testsuite;

import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;
import io.fdpass.codec.FileStatus;
import io.fdpass.confinement.Confinement;
import io.fdpass.internal.Landlock;
import io.fdpass.server.FdPassServer;
import io.fdpass.server.FdPassServerInitializer;
import io.fdpass.testing.Fds;
import io.fdpass.testing.LogLines;
import io.fdpass.testing.TestSyscalls;
import io.fdpass.testsuite.HostileSource.Act;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The server confined with Landlock: a file source with a bug (a {@link HostileSource}) that reaches outside the
 * root, or changes what is beneath it, on the very thread that serves. Unconfined it gets its way, which shows
 * what each test would catch; confined, the kernel refuses it, the client is answered PERMISSION_DENIED and
 * nothing changed. The rest of the behaviour suite runs confined too: it is the default.
 */
public abstract class AbstractConfinementTest extends AbstractFdPassTest {
    private static final String OUTSIDE = "outside the root\n";

    private Path outside;

    @BeforeEach
    void outsideTheRoot() throws IOException {
        outside = Files.writeString(dir.resolve("outside.txt"), OUTSIDE);
    }

    private static void assumeLandlock() {
        assumeTrue(Confinement.isSupported(), () -> "no Landlock here: " + Landlock.unavailableReason());
    }

    @Test
    void aSourceThatOpensAFileOutsideTheRootServesItOnlyUnconfined() throws Exception {
        assumeLandlock();
        HostileSource unconfined = HostileSource.readingOutside(outside);
        try (FdPassServer server = server().fileSource(unconfined).confine(Confinement.Mode.OFF).start();
             FdPassClient client = connect(); ReceivedReply reply = client.request("courses.txt").join()) {
            assertFalse(server.isConfined());
            assertEquals(OUTSIDE, AbstractServeTest.readAll(reply.entry(0).file()));
        }
        HostileSource confined = HostileSource.readingOutside(outside);
        try (FdPassServer server = server().fileSource(confined).confine(Confinement.Mode.REQUIRED, root).start();
             FdPassClient client = connect(); ReceivedReply reply = client.request("courses.txt").join()) {
            assertTrue(server.isConfined());
            assertEquals(FileStatus.PERMISSION_DENIED, reply.entry(0).status());
            assertEquals(0, server.stats().snapshot().descriptorsSent(), "something reached the client");
        }
        assertEquals(List.of("EACCES"), confined.outcomes, "the kernel did not refuse the open");
        assertServedByOneOf(confined, "fdpass-server-");
    }

    @ParameterizedTest
    @EnumSource(value = Act.class, names = "READ_OUTSIDE", mode = EnumSource.Mode.EXCLUDE)
    void aSourceThatChangesTheRootChangesNothingConfined(Act act) throws Exception {
        assumeLandlock();
        Map<String, String> before = snapshot(root);
        HostileSource confined = new HostileSource(act, root, false);
        try (FdPassServer server = server().fileSource(confined).confine(Confinement.Mode.REQUIRED, root).start();
             FdPassClient client = connect(); ReceivedReply reply = client.request("courses.txt").join()) {
            assertEquals(FileStatus.PERMISSION_DENIED, reply.entry(0).status());
        }
        assertEquals(List.of("EACCES"), confined.outcomes, "the kernel did not refuse " + act);
        assertEquals(before, snapshot(root), act + " changed the root");

        HostileSource unconfined = new HostileSource(act, root, false);
        try (FdPassServer server = server().fileSource(unconfined).confine(Confinement.Mode.OFF).start();
             FdPassClient client = connect(); ReceivedReply reply = client.request("courses.txt").join()) {
            assertNotEquals(FileStatus.PERMISSION_DENIED, reply.entry(0).status());
        }
        assertEquals(List.of("done"), unconfined.outcomes, act + " failed even unconfined: the test proves nothing");
        assertNotEquals(before, snapshot(root));
    }

    @Test
    void theOpenExecutorsThreadsAreConfinedToo() throws Exception {
        assumeLandlock();
        HostileSource blocking = new HostileSource(Act.READ_OUTSIDE, outside, true);
        try (FdPassServer server = server().fileSource(blocking).confine(Confinement.Mode.REQUIRED, root).start();
             FdPassClient client = connect(); ReceivedReply reply = client.request("a", "b").join()) {
            assertEquals(FileStatus.PERMISSION_DENIED, reply.entry(1).status());
        }
        assertEquals(List.of("EACCES", "EACCES"), blocking.outcomes);
        assertServedByOneOf(blocking, "fdpass-open-");
    }

    /** The default: confined to the root, serving from it; the loops' threads show no_new_privs in /proc. */
    @Test
    void theDefaultServerIsConfinedAndServesItsRoot() throws Exception {
        assumeLandlock();
        try (FdPassServer server = server().start(); FdPassClient client = connect();
             ReceivedReply reply = client.request("courses.txt", "contacts.txt").join()) {
            assertTrue(server.isConfined());
            assertEquals(COURSES, AbstractServeTest.readAll(reply.entry(0).file()));
            assertEquals(CONTACTS, AbstractServeTest.readAll(reply.entry(1).file()));
            Map<String, String> threads = threadsNoNewPrivs();
            assertTrue(threads.entrySet().stream().anyMatch(t -> t.getKey().startsWith("fdpass-server")
                    && t.getValue().equals("1")), threads::toString);
            assertEquals("0", noNewPrivs(Path.of("/proc/thread-self")), "the test's own thread was confined");
        }
    }

    /**
     * An application's own loops, confined with the initializer's thread factory; the socket bound by the
     * application first (a confined loop cannot create the socket file), handed over as a listening descriptor.
     */
    @Test
    void anInitializerConfinesTheApplicationsLoopsItsFactoryMakes() throws Exception {
        assumeLandlock();
        HostileSource hostile = HostileSource.readingOutside(outside);
        try (FdPassServerInitializer fdpass = FdPassServer.builder().fileSource(hostile)
                .confine(Confinement.Mode.REQUIRED, root).buildInitializer()) {
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                    fdpass.threadFactory(new DefaultThreadFactory("application-loop")),
                    transport().newIoHandlerFactory());
            try {
                int fd = TestSyscalls.listeningSocket(socket.toString());
                Channel files = new ServerBootstrap().group(group).channelFactory(() -> transport()
                        .newServerChannel(fd)).childHandler(fdpass).register().sync().channel();
                try (FdPassClient client = connect(); ReceivedReply reply = client.request("x").join()) {
                    assertEquals(FileStatus.PERMISSION_DENIED, reply.entry(0).status());
                }
                files.close().sync();
                fdpass.shutdownGracefully().get(10, TimeUnit.SECONDS);
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync(); // before the initializer closes
            }
        }
        assertEquals(List.of("EACCES"), hostile.outcomes);
        assertServedByOneOf(hostile, "application-loop-");
    }

    /** Loops of the application's confined with the public API; the server binds its socket all the same. */
    @Test
    void aServerOnLoopsConfinedWithThePublicApiBindsAndServes() throws Exception {
        assumeLandlock();
        ThreadFactory confined = Confinement.jvmFiles().and(Confinement.readOnlyBeneath(root))
                .threadFactory(new DefaultThreadFactory("confined-loop"));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, confined, transport().newIoHandlerFactory());
        try {
            HostileSource hostile = HostileSource.readingOutside(outside);
            try (FdPassServer server = server().eventLoopGroup(group).fileSource(hostile).start();
                 FdPassClient client = connect(); ReceivedReply reply = client.request("x").join()) {
                assertFalse(server.isConfined(), "it did not start these loops");
                assertEquals(FileStatus.PERMISSION_DENIED, reply.entry(0).status());
            }
            assertEquals(List.of("EACCES"), hostile.outcomes);
            assertServedByOneOf(hostile, "confined-loop-");
            assertFalse(Files.exists(socket), "the socket was not removed");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** Landlock missing (simulated): one line, and served unconfined; refused outright when required. */
    @Test
    void withoutLandlockTheServerSaysSoOrRefusesToStart() throws Exception {
        assumeTrue(InternalLoggerFactory.getDefaultFactory() instanceof JdkLoggerFactory,
                "reads fdpass's log through java.util.logging, Netty's choice here");
        LogLines log = LogLines.of(FdPassServer.class.getName());
        List<String> lines = log.lines();
        System.setProperty(Landlock.ABI_PROPERTY, "0");
        try {
            assertFalse(Confinement.isSupported());
            try (FdPassServer server = server().start(); FdPassClient client = connect();
                 ReceivedReply reply = client.request("courses.txt").join()) {
                assertFalse(server.isConfined());
                assertEquals(COURSES, AbstractServeTest.readAll(reply.entry(0).file()));
            }
            assertEquals(List.of("fdpass server not confined: Landlock unavailable (" + Landlock.ABI_PROPERTY
                    + "=0 (a testing knob))"), lines.stream().filter(l -> l.contains("confined")).toList());

            int baseline = Fds.count();
            IOException refused = assertThrows(IOException.class,
                    () -> server().confine(Confinement.Mode.REQUIRED).start());
            assertEquals("confinement required, but Landlock is unavailable: " + Landlock.ABI_PROPERTY
                    + "=0 (a testing knob)", refused.getMessage());
            assertFalse(Files.exists(socket));
            Fds.assertBackTo(baseline); // the root it had opened, closed again
        } finally {
            System.clearProperty(Landlock.ABI_PROPERTY);
            log.close();
        }
    }

    @Test
    void requiredConfinementOfAFileSourceOfYoursNeedsThePathsItReads() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> server()
                .fileSource(HostileSource.readingOutside(outside)).confine(Confinement.Mode.REQUIRED).start());
        assertEquals("confine(REQUIRED) with a file source of yours needs the paths it reads: "
                + "confine(REQUIRED, path...)", e.getMessage());
        assertFalse(Files.exists(socket));
    }

    /**
     * Netty's GlobalEventExecutor starts its thread from whichever thread gives it a task first, and the server's
     * loops give it tasks as they shut down: a thread that one of them started would be confined, for everything
     * else the application runs there, the callbacks of the server's close future among them.
     */
    @Test
    void theShutdownLeavesTheApplicationNoConfinedThread() throws Exception {
        assumeLandlock();
        try {
            assertTrue(GlobalEventExecutor.INSTANCE.awaitInactivity(10, TimeUnit.SECONDS),
                    "Netty's GlobalEventExecutor stays busy: the test could not start it anew");
        } catch (IllegalStateException neverStarted) {
            // Not running either.
        }
        CompletableFuture<Boolean> inCallback;
        try (FdPassServer server = server().linger(Duration.ofMillis(100)).start(); FdPassClient client = connect()) {
            try (ReceivedReply reply = client.request("courses.txt").join()) {
                assertTrue(reply.allOk());
            }
            inCallback = server.closeFuture().thenApply(v -> canRead(outside));
            server.shutdownGracefully().get(10, TimeUnit.SECONDS);
        }
        assertTrue(inCallback.get(), "a callback of closeFuture() ran on a confined thread");
        assertTrue(GlobalEventExecutor.INSTANCE.submit(() -> canRead(outside)).get(10, TimeUnit.SECONDS),
                "Netty's GlobalEventExecutor runs on a thread that a confined one started");
    }

    /**
     * The server in a process of its own, as a user that is not root (nobody, when the test runs as root): its
     * loops, confined with the public API, are refused what is outside the root as well.
     */
    @Test
    void aServerOfAnotherUserIsConfinedAsWell() throws Exception {
        assumeLandlock();
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "reads /proc");
        boolean asRoot = TestSyscalls.isRoot();
        assumeTrue(!asRoot || ProcessTests.onPath("setpriv"), "running as root, and setpriv(1) is missing");
        Path shared = Files.createTempDirectory("fdpass-confined-");
        try {
            Path filesRoot = Files.createDirectory(shared.resolve("root"));
            Files.writeString(filesRoot.resolve("courses.txt"), COURSES);
            Path elsewhere = Files.writeString(shared.resolve("outside.txt"), OUTSIDE);
            Path socketDir = Files.createDirectory(shared.resolve("socket"));
            List<String> wrapper = new ArrayList<>();
            List<Path> classPath = FaultProcess.classPath();
            if (asRoot) {
                ProcessTests.readableByAll(shared);
                Files.setAttribute(socketDir, "unix:uid", 65534);
                Files.setAttribute(socketDir, "unix:gid", 65534);
                classPath = ProcessTests.copyForAll(classPath, Files.createDirectory(shared.resolve("classes")));
                wrapper.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "--inh-caps=-all"));
            }
            Path sharedSocket = socketDir.resolve("fdpass.sock");
            List<String> args = List.of("--transport", transport().name(), "--socket", sharedSocket.toString(),
                    "--root", filesRoot.toString(), "--outside", elsewhere.toString());
            try (FaultProcess server = FaultProcess.start("confined-server", wrapper, classPath, List.of(),
                    ProcessServer.class, args, shared)) {
                String ready = server.awaitLine("READY", Duration.ofSeconds(30));
                assertTrue(ready.contains(" confined=true "), ready);
                assertFalse(ready.contains("Uid=0 "), "the server runs as root: " + ready);
                try (FdPassClient client = client().socket(sharedSocket).connect();
                     ReceivedReply reply = client.request("courses.txt").join()) {
                    assertEquals(FileStatus.PERMISSION_DENIED, reply.entry(0).status(), server::stderr);
                }
            }
            // The same, unconfined: the file outside arrives, so the test could fail.
            try (FaultProcess server = FaultProcess.start("unconfined-server", wrapper, classPath, List.of(),
                    ProcessServer.class, Stream.concat(args.stream(), Stream.of("--no-confine")).toList(), shared)) {
                assertTrue(server.awaitLine("READY", Duration.ofSeconds(30)).contains(" confined=false "));
                try (FdPassClient client = client().socket(sharedSocket).connect();
                     ReceivedReply reply = client.request("courses.txt").join()) {
                    assertEquals(OUTSIDE, AbstractServeTest.readAll(reply.entry(0).file()), server::stderr);
                }
            }
        } finally {
            try (Stream<Path> paths = Files.walk(shared)) {
                for (Path path : paths.sorted((a, b) -> b.compareTo(a)).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    private static void assertServedByOneOf(HostileSource source, String threadPrefix) {
        assertFalse(source.threads.isEmpty(), "the source never ran");
        assertTrue(source.threads.stream().allMatch(t -> t.startsWith(threadPrefix)), source.threads::toString);
    }

    private static boolean canRead(Path file) {
        try {
            Files.readString(file);
            return true;
        } catch (AccessDeniedException e) {
            return false;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Every file, directory and link beneath {@code dir}, with its content or target. */
    private static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> all = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.toList()) {
                String what = Files.isSymbolicLink(path) ? "-> " + Files.readSymbolicLink(path)
                        : Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) ? "dir "
                        + PosixFilePermissions.toString(Files.getPosixFilePermissions(path))
                        : Files.readString(path);
                all.put(dir.relativize(path).toString(), what);
            }
        }
        return all;
    }

    /** This process's threads by name (as /proc shows them: 15 characters), with their NoNewPrivs. */
    private static Map<String, String> threadsNoNewPrivs() throws IOException {
        Map<String, String> threads = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    threads.merge(Files.readString(task.resolve("comm")).strip(), noNewPrivs(task), String::concat);
                } catch (IOException gone) {
                    // The thread ended meanwhile.
                }
            }
        }
        return threads;
    }

    private static String noNewPrivs(Path task) throws IOException {
        return Files.readAllLines(task.resolve("status")).stream().filter(l -> l.startsWith("NoNewPrivs:"))
                .map(l -> l.substring("NoNewPrivs:".length()).strip()).findFirst().orElse("?");
    }
}
