package io.fdpass.examples;

import io.fdpass.confinement.Confinement;
import io.fdpass.examples.Jars.Result;
import io.fdpass.examples.Jars.Server;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The courses / campusinfo / contacts scenario end to end: the server and client jars built by {@code package}, each
 * in a JVM of its own, over a real socket, reading real files through the descriptors they receive.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ScenarioIT {
    private static final List<String> SCENARIO_OUTPUT = List.of(
            "reply: 3 names, 3 OK, 0 failed",
            "courses.txt OK 16 bytes: Course1\\nCourse2\\n",
            "campusinfo.txt OK 15 bytes: Campus1\\nCampus2",
            "contacts.txt OK 9 bytes: Contacts\\n");

    @TempDir
    Path dir;

    @BeforeAll
    static void jarsBuilt() {
        Jars.assertBuilt();
    }

    private Path sampleRoot() throws IOException {
        Path root = Files.createDirectory(dir.resolve("root"));
        Files.writeString(root.resolve("courses.txt"), "Course1\nCourse2\n");
        Files.writeString(root.resolve("campusinfo.txt"), "Campus1\nCampus2");
        Files.writeString(root.resolve("contacts.txt"), "Contacts\n");
        return root;
    }

    /** On each Linux transport, the server's choice: the client takes the default. */
    @ParameterizedTest(name = "server on {0}")
    @ValueSource(strings = {"epoll", "io_uring"})
    void scenarioThenSigtermShutsDownCleanly(String transport) throws Exception {
        Path root = sampleRoot();
        Path socket = dir.resolve("fdpass.sock");
        try (Server server = Server.start(dir, socket, List.of(), "--root", root.toString(), "--transport",
                transport)) {
            Result client = Jars.client(dir, "--socket", socket.toString(),
                    "courses.txt", "campusinfo.txt", "contacts.txt");
            assertEquals(0, client.exit(), client::toString);
            assertEquals(SCENARIO_OUTPUT, client.outLines(), client::toString);
            // Nothing on stderr: no JDK native-access warnings, no library logging.
            assertEquals("", client.err(), client::toString);

            assertEquals(Set.of("rw-------"), Set.of(PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(socket))), "the README's default socket mode, 0600");
            assertEquals(0, server.terminate(), server::log);
            assertFalse(Files.exists(socket), "socket file left behind");
            String log = server.log();
            assertAll(
                    () -> assertTrue(log.contains("fdpass server listening on " + socket + " (mode 0600) over "
                            + transport + ","), log),
                    () -> assertTrue(log.contains("fdpass file source " + root + ": ")
                            && log.contains("; mounts beneath the root not crossed"), "no line on its way\n" + log),
                    () -> assertTrue(log.contains("client uid=" + myUid() + " ") && log.contains(" pid="
                            + client.pid()), "no line for the client's connection\n" + log),
                    () -> assertTrue(log.contains("SIGTERM: shutting down"), log),
                    () -> assertFalse(log.contains("WARNING"), "the JVM or the libraries warned\n" + log),
                    () -> assertEquals("", server.stdout(), "the server writes its log to stderr only"));
        }
    }

    @Test
    void allowMountsIsPassedToTheFileSource() throws Exception {
        Path root = sampleRoot();
        Path socket = dir.resolve("fdpass.sock");
        try (Server server = Server.start(dir, socket, List.of(), "--root", root.toString(), "--allow-mounts")) {
            Result client = Jars.client(dir, "--socket", socket.toString(), "contacts.txt");
            assertEquals(0, client.exit(), client::toString);
            assertEquals(0, server.terminate(), server::log);
            assertTrue(server.log().contains("fdpass file source " + root + ": ")
                    && server.log().contains("; mounts beneath the root crossed, but never onto a pseudo filesystem"),
                    server::log);
        }
    }

    /** io_uring's server channel takes the socket handed over in place of one of its own (ListeningSockets). */
    @ParameterizedTest(name = "server on {0}")
    @ValueSource(strings = {"epoll", "io_uring"})
    void socketActivationServesAndTheSocketIsNeitherReboundNorUnlinked(String transport) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-socket-activate")),
                "needs systemd-socket-activate (Debian's systemd package)");
        Path socket = dir.resolve("activated.sock");
        try (Server server = Server.startActivated(dir, socket, "--root", sampleRoot().toString(),
                "--stats-interval", "50ms", "--transport", transport)) {
            assertHelloFromTheServerItStarts(socket);
            Result client = Jars.client(dir, "--socket", socket.toString(), "--stats",
                    "courses.txt", "campusinfo.txt", "contacts.txt");
            assertEquals(0, client.exit(), client::toString);
            assertEquals(SCENARIO_OUTPUT, client.outLines(), client::toString);
            assertEquals("fdpass-example-client: stats: requests=1 replies=1 descriptors=3 held=0 failures={}",
                    client.err().strip(), client::toString);
            Jars.await(Duration.ofSeconds(10), () -> server.log().contains("requests=1 descriptors=3"),
                    () -> "no stats line counting the request\n" + server.log());
            assertEquals(0, server.terminate(), server::log);
            assertTrue(server.log().contains("listening on socket-activated descriptor 3 over " + transport + ","),
                    server::log);
            assertTrue(Jars.isSocket(socket), "the server removed a socket it was handed");
        }
    }

    /**
     * Connects first, which makes systemd-socket-activate start the server, and waits for its HELLO as long as the
     * test may take. The example client's timeout (10 s for the HELLO) would count the server JVM's start as well,
     * which a loaded machine stretches past it: the client runs once the server is up, as in the other tests.
     */
    private static void assertHelloFromTheServerItStarts(Path socket) throws IOException {
        try (SocketChannel first = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ByteBuffer hello = ByteBuffer.allocate(19); // u32 length 15, type 4, "FDPS", version, limits
            while (hello.hasRemaining() && first.read(hello) >= 0) {
                // Blocks until the server has started and sent it.
            }
            assertFalse(hello.hasRemaining(), "the server closed before its HELLO");
            assertEquals(4, hello.get(4), "a HELLO frame");
            assertEquals("FDPS", new String(hello.array(), 5, 4, StandardCharsets.US_ASCII));
        }
    }

    /**
     * The README's command, on the jars just built (FDPASS_BUILD=never: this test runs inside the build), with the
     * server on the default transport, and on io_uring (FDPASS_TRANSPORT).
     */
    @ParameterizedTest(name = "server on {0}")
    @ValueSource(strings = {"default", "io_uring"})
    void runScenarioScript(String transport) throws Exception {
        Path script = Path.of(System.getProperty("fdpass.examples.dir", ".")).toAbsolutePath()
                .resolve("run-scenario.sh");
        assumeTrue(onPath("bash") != null, "needs bash");
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString());
        pb.environment().put("FDPASS_BUILD", "never");
        pb.environment().put("TMPDIR", dir.toString());
        if (!transport.equals("default")) {
            pb.environment().put("FDPASS_TRANSPORT", transport);
        }
        Path out = dir.resolve("script.out");
        Path err = dir.resolve("script.err");
        Process p = pb.directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
        }
        String log = "--- stdout\n" + Files.readString(out) + "--- stderr\n" + Files.readString(err);
        assertEquals(0, p.exitValue(), log);
        assertEquals(SCENARIO_OUTPUT, Files.readAllLines(out), log);
        assertTrue(Files.readString(err).contains("run-scenario: OK"), log);
        try (var left = Files.list(dir)) {
            assertEquals(List.of(), left.filter(f -> f.getFileName().toString().startsWith("fdpass-scenario"))
                    .toList(), "the script left its temporary directory behind");
        }
    }

    @Test
    void sigintShutsDownCleanly() throws Exception {
        Path socket = dir.resolve("fdpass.sock");
        try (Server server = Server.start(dir, socket, List.of(), "--root", sampleRoot().toString())) {
            // A process started in the background of a non-interactive shell inherits SIGINT ignored, and
            // the JVM leaves an ignored signal alone: then nothing can be shown here.
            assumeFalse(ignores(server.process.pid(), 2),
                    "SIGINT is ignored in this process tree (started in the background?), so the server ignores it");
            Result kill = Jars.run(dir, List.of("kill", "-INT", Long.toString(server.process.pid())));
            assertEquals(0, kill.exit(), kill::toString);
            assertEquals(0, server.awaitExit(), server::log);
            assertFalse(Files.exists(socket), "socket file left behind");
            assertTrue(server.log().contains("SIGINT: shutting down"), server::log);
        }
    }

    @Test
    void missingFileFailsWithOneLine() throws Exception {
        Path socket = dir.resolve("fdpass.sock");
        try (Server server = Server.start(dir, socket, List.of(), "--root", sampleRoot().toString())) {
            Result client = Jars.client(dir, "--socket", socket.toString(), "courses.txt", "missing.txt");
            assertEquals(ClientMain.NAME_FAILED, client.exit(), client::toString);
            assertEquals(List.of("reply: 2 names, 1 OK, 1 failed", "courses.txt OK 16 bytes: Course1\\nCourse2\\n",
                    "missing.txt NOT_FOUND"), client.outLines(), client::toString);
            assertOneLine(client, "fdpass-example-client: missing.txt: no such file under the server's root "
                    + "(NOT_FOUND)");
            assertEquals(0, server.terminate(), server::log);
        }
    }

    @Test
    void namesEscapingTheRootFailWithOneLine() throws Exception {
        Path root = sampleRoot();
        Files.writeString(dir.resolve("outside.txt"), "not served\n");
        Files.createSymbolicLink(root.resolve("link.txt"), Path.of("../outside.txt"));
        Files.createSymbolicLink(root.resolve("abs-link.txt"), dir.resolve("outside.txt"));
        Path socket = dir.resolve("fdpass.sock");
        String leadsOut = "it leads outside the server's root (a symlink out of it, a loop, a magic link) or holds a "
                + "component too long for its filesystem (INVALID_NAME)";
        Map<String, String> reasons = new LinkedHashMap<>();
        reasons.put("../outside.txt", "invalid name: a '..' component (INVALID_NAME)");
        reasons.put("link.txt", leadsOut);
        reasons.put("abs-link.txt", leadsOut);
        reasons.put(dir.resolve("outside.txt").toString(), "invalid name: absolute: it begins with '/' (names are "
                + "relative to the server's root) (INVALID_NAME)");
        try (Server server = Server.start(dir, socket, List.of(), "--root", root.toString())) {
            for (Map.Entry<String, String> name : reasons.entrySet()) {
                Result client = Jars.client(dir, "--socket", socket.toString(), name.getKey());
                assertEquals(ClientMain.NAME_FAILED, client.exit(), client::toString);
                assertEquals(List.of("reply: 1 name, 0 OK, 1 failed", name.getKey() + " INVALID_NAME"),
                        client.outLines(), client::toString);
                assertOneLine(client, "fdpass-example-client: " + name.getKey() + ": " + name.getValue());
            }
            assertEquals(0, server.terminate(), server::log);
        }
    }

    /**
     * An invalid name is told apart by the rule it breaks, in one line that shows it: the empty name as "", a long one
     * cut with its length; a name that stays inside the root but has a ".." component breaks the rule all the same.
     */
    @Test
    void invalidNamesSayWhichRuleTheyBreak() throws Exception {
        Path socket = dir.resolve("fdpass.sock");
        String longName = "a".repeat(5000);
        try (Server server = Server.start(dir, socket, List.of(), "--root", sampleRoot().toString())) {
            Result client = Jars.client(dir, "--socket", socket.toString(), "", longName, "private/../courses.txt",
                    "courses.txt");
            assertEquals(ClientMain.NAME_FAILED, client.exit(), client::toString);
            String shown = "a".repeat(Cli.NAME_SHOWN) + "... (5000 bytes)";
            assertEquals(List.of("reply: 4 names, 1 OK, 3 failed", "\"\" INVALID_NAME", shown + " INVALID_NAME",
                    "private/../courses.txt INVALID_NAME", "courses.txt OK 16 bytes: Course1\\nCourse2\\n"),
                    client.outLines(), client::toString);
            assertEquals(List.of(
                    "fdpass-example-client: \"\": invalid name: empty (INVALID_NAME)",
                    "fdpass-example-client: " + shown + ": invalid name: too long: 5000 bytes (expected: at most "
                            + "4096) (INVALID_NAME)",
                    "fdpass-example-client: private/../courses.txt: invalid name: a '..' component (INVALID_NAME)"),
                    client.errLines(), client::toString);
            assertEquals(0, server.terminate(), server::log);
        }
    }

    @Test
    void noServerFailsWithOneLine() throws Exception {
        Path missing = dir.resolve("nobody-home.sock");
        Result client = Jars.client(dir, "--socket", missing.toString(), "courses.txt");
        assertEquals(ClientMain.NO_ANSWER, client.exit(), client::toString);
        assertEquals("", client.out(), client::toString);
        assertOneLine(client, "fdpass-example-client: " + missing + ": no such socket file (is the server running?)");

        // A socket file whose server is gone: it stays behind after close.
        Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            gone.bind(UnixDomainSocketAddress.of(stale));
        }
        assertTrue(Jars.isSocket(stale));
        client = Jars.client(dir, "--socket", stale.toString(), "courses.txt");
        assertEquals(ClientMain.NO_ANSWER, client.exit(), client::toString);
        assertOneLine(client, Pattern.quote("fdpass-example-client: " + stale
                + ": cannot connect: connection refused (a stale socket file? is the server running?)"));
    }

    /** A Unix socket server that is not fdpass: greets with "hello", says nothing, or hangs up at once. */
    @Test
    void notAnFdpassServerFailsWithOneLine() throws Exception {
        // Only the silent server needs a short --timeout (it is what the client waits out); the others get the
        // default, so that a slow machine does not turn their answer into a timeout.
        record Case(String greeting, boolean hangUp, String timeout, String expected) {
        }
        for (Case c : List.of(
                new Case("hello", false, "10s", "protocol violation: .*not an fdpass v1 server"),
                new Case("", false, "2s", "no HELLO within 2000 ms; not an fdpass v1 server\\?"),
                new Case("", true, "10s", "closed before HELLO.*"))) {
            Path socket = dir.resolve("other.sock");
            Files.deleteIfExists(socket);
            try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                other.bind(UnixDomainSocketAddress.of(socket));
                CountDownLatch done = new CountDownLatch(1);
                Thread acceptor = Thread.ofVirtual().start(() -> {
                    try (SocketChannel peer = other.accept()) {
                        peer.write(ByteBuffer.wrap(c.greeting.getBytes(StandardCharsets.US_ASCII)));
                        if (!c.hangUp) {
                            done.await();
                        }
                    } catch (IOException | InterruptedException ignored) {
                        // The test ended.
                    }
                });
                try {
                    Result client = Jars.client(dir, "--socket", socket.toString(), "--timeout", c.timeout,
                            "courses.txt");
                    assertEquals(ClientMain.NO_ANSWER, client.exit(), client::toString);
                    assertEquals("", client.out(), client::toString);
                    assertOneLine(client, Pattern.quote("fdpass-example-client: " + socket + ": ") + c.expected);
                } finally {
                    done.countDown();
                    acceptor.join(Duration.ofSeconds(10));
                }
            }
        }
    }

    /** A user that --allow-uid and --allow-gid leave out is refused at connect: one line on each side. */
    @Test
    void accessPolicyRefusesOtherUsersAndLogsIt() throws Exception {
        int uid = myUid();
        int otherUid = uid == 4242 ? 4243 : 4242;
        Path socket = dir.resolve("fdpass.sock");
        try (Server server = Server.start(dir, socket, List.of(), "--root", sampleRoot().toString(),
                "--allow-uid", Integer.toString(otherUid))) {
            Result client = Jars.client(dir, "--socket", socket.toString(), "courses.txt");
            assertEquals(ClientMain.NO_ANSWER, client.exit(), client::toString);
            assertOneLine(client, Pattern.quote("fdpass-example-client: " + socket + ": server refused the "
                    + "connection: uid " + uid + " is not served (the access policy refuses it every name) "
                    + "(TOO_MANY_CONNECTIONS)"));
            assertEquals(0, server.terminate(), server::log);
            assertTrue(Pattern.compile("refused the connection of uid=" + uid + " gid=\\d+ pid=" + client.pid()
                    + ": uid " + uid + " is not served").matcher(server.log()).find(), server::log);
        }
        // Admitted by group instead.
        try (Server server = Server.start(dir, socket, List.of(), "--root", dir.resolve("root").toString(),
                "--allow-uid", Integer.toString(otherUid), "--allow-gid", Integer.toString(myGid()))) {
            Result client = Jars.client(dir, "--socket", socket.toString(), "courses.txt");
            assertEquals(0, client.exit(), client::toString);
            assertEquals(0, server.terminate(), server::log);
        }
    }

    /**
     * A refused user that floods the server, 3,000 connections each with a 64-name request, grows its log by a few
     * lines: the first refusals one by one, then one line per uid counting them all (it grew by a line per name and
     * one per connection before, 370 MB in 10 s).
     */
    @ParameterizedTest(name = "server on {0}")
    @ValueSource(strings = {"epoll", "io_uring"})
    void aRefusedFloodLeavesTheLogSmall(String transport) throws Exception {
        int uid = myUid();
        Path socket = dir.resolve("fdpass.sock");
        int connections = 3000;
        byte[] request = sixtyFourNameRequest();
        try (Server server = Server.start(dir, socket, List.of(), "--root", sampleRoot().toString(),
                "--allow-uid", Integer.toString(uid == 4242 ? 4243 : 4242), "--transport", transport)) {
            long before = Files.size(server.log);
            AtomicInteger refused = new AtomicInteger();
            List<Future<?>> flooders = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
                for (int t = 0; t < 4; t++) {
                    flooders.add(pool.submit(() -> {
                        for (int i = 0; i < connections / 4; i++) {
                            try (SocketChannel s = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                                s.write(ByteBuffer.wrap(request));
                                readExactly(s, 19); // HELLO
                                ByteBuffer next = readExactly(s, 7); // the next frame's length, type and code
                                if (next.get(4) == 3 && next.getShort(5) == 6) {
                                    refused.incrementAndGet(); // ERROR TOO_MANY_CONNECTIONS
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> flooder : flooders) {
                    flooder.get(60, TimeUnit.SECONDS);
                }
            }
            assertEquals(0, server.terminate(), server::log);
            String log = server.log();
            long grown = Files.size(server.log) - before;
            assertTrue(grown < 4096, "the log grew by " + grown + " bytes, " + log.lines().count() + " lines");
            assertEquals(connections, refused.get(), "connections refused with ERROR TOO_MANY_CONNECTIONS");
            long counted = Pattern.compile("uid " + uid + ": ([\\d,]+) connections refused in the last").matcher(log)
                    .results().mapToLong(m -> Long.parseLong(m.group(1).replace(",", ""))).sum();
            assertEquals(connections, counted, log);
        }
    }

    private static ByteBuffer readExactly(SocketChannel channel, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException("end of stream after " + buffer.position() + " of " + length + " bytes");
            }
        }
        return buffer.flip();
    }

    private static byte[] sixtyFourNameRequest() {
        ByteBuffer frame = ByteBuffer.allocate(4 + 1 + 6 + 64 * (2 + 11));
        frame.putInt(frame.capacity() - 4).put((byte) 1).putInt(7).putShort((short) 64);
        for (int i = 0; i < 64; i++) {
            frame.putShort((short) 11).put("courses.txt".getBytes(StandardCharsets.US_ASCII));
        }
        return frame.array();
    }

    /**
     * Why fd passing exists: the server (root) serves a file of mode 0600 to a client running as nobody, which cannot
     * open that file itself but reads it through the descriptor.
     */
    @Test
    void unprivilegedClientReadsWhatItCannotOpen() throws Exception {
        List<String> asNobody = asNobody("needs root: the server runs as root and the client as nobody");
        Path clientJar = clientJarForAll();
        Path root = Files.createDirectory(dir.resolve("root"));
        Path secret = Files.writeString(root.resolve("grades.txt"), "Alice: A\nBob: B\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Path socket = dir.resolve("fdpass.sock");

        // nobody cannot open it...
        Result cat = Jars.run(dir, withPrefix(asNobody, "cat", secret.toString()));
        assertNotEquals(0, cat.exit(), cat::toString);
        assertTrue(cat.err().contains("Permission denied"), cat::toString);

        try (Server server = Server.start(dir, socket, List.of(), "--root", root.toString(), "--mode", "0666")) {
            assertEquals(Set.of("rw-rw-rw-"), Set.of(PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(socket))));
            // ...but reads it through the descriptor the server (root) opened.
            Result client = Jars.run(dir, Jars.command(asNobody, clientJar, "--socket", socket.toString(),
                    "--bytes", "64", "grades.txt"));
            assertEquals(0, client.exit(), client::toString);
            assertEquals(List.of("reply: 1 name, 1 OK, 0 failed", "grades.txt OK 16 bytes: Alice: A\\nBob: B\\n"),
                    client.outLines(), client::toString);
            assertEquals("", client.err(), client::toString);
            assertEquals(0, server.terminate(), server::log);
            int[] nobody = nobody();
            assertTrue(server.log().contains("client uid=" + nobody[0] + " gid=" + nobody[1] + " pid="),
                    server::log);
        }
    }

    /**
     * What a server running as an unprivileged user cannot do is said in one line naming the user's own paths: a
     * socket directory it may not write, a root it may not search.
     */
    @Test
    void anUnprivilegedServerSaysWhyItCannotStart() throws Exception {
        assumeTrue(myUid() == 0, "needs root, to run the server as nobody");
        Path setpriv = onPath("setpriv");
        assumeTrue(setpriv != null, "needs setpriv (util-linux) on PATH to run the server as nobody");
        int[] nobody = nobody();
        assumeTrue(nobody != null, "needs a user named nobody in /etc/passwd");
        List<String> asNobody = List.of(setpriv.toString(), "--reuid=" + nobody[0], "--regid=" + nobody[1],
                "--clear-groups");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path serverJar = Files.copy(Jars.SERVER_JAR, dir.resolve("server.jar"));
        Files.setPosixFilePermissions(serverJar, PosixFilePermissions.fromString("rw-r--r--"));
        Path root = sampleRoot();
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));

        Path socket = dir.resolve("fdpass.sock"); // dir is root's, 0755
        Result notWritable = Jars.run(dir, Jars.command(asNobody, serverJar, "--socket", socket.toString(), "--root",
                root.toString()));
        assertEquals(1, notWritable.exit(), notWritable::toString);
        assertOneErrorLine(notWritable, Pattern.quote("fdpass-example-server: socket: cannot create a socket in " + dir
                + ": permission denied"));

        Path sockets = Files.createDirectory(dir.resolve("sockets"));
        Files.setPosixFilePermissions(sockets, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rw-rw-rw-"));
        Result notSearchable = Jars.run(dir, Jars.command(asNobody, serverJar, "--socket",
                sockets.resolve("fdpass.sock").toString(), "--root", root.toString()));
        assertEquals(1, notSearchable.exit(), notSearchable::toString);
        assertOneErrorLine(notSearchable, Pattern.quote("fdpass-example-server: root: " + root
                + " (permission denied: the server may not search it)"));
        try (var left = Files.list(sockets)) {
            assertEquals(List.of(), left.toList(), "nothing left behind");
        }
    }

    /**
     * The no-root demo: a client in a Landlock sandbox cannot open a file of the root, not even one it could open
     * before, but reads it through the descriptor the server sends. The server is confined too, and says so: the
     * threads that serve have no_new_privs, which is how /proc shows it from outside.
     */
    @Test
    void aSandboxedClientCannotOpenTheFileButReadsItThroughFdpass() throws Exception {
        assumeTrue(Confinement.isSupported(), "needs Landlock (Linux 5.13+)");
        Path root = sampleRoot();
        Path courses = root.resolve("courses.txt");
        Path socket = dir.resolve("fdpass.sock");
        try (Server server = Server.start(dir, socket, List.of(), "--root", root.toString())) {
            assertTrue(server.log().contains("confined: reads beneath " + root + " only, and the JVM's own files "
                    + "(Landlock ABI " + Confinement.abi() + ")"), server::log);
            Result free = Jars.client(dir, "--try-open", root.toString(), "--socket", socket.toString(),
                    "courses.txt");
            assertEquals(0, free.exit(), free::toString);
            assertEquals("direct open: " + courses + ": opened", free.outLines().getFirst(), free::toString);

            Result sandboxed = Jars.client(dir, "--sandbox", "--try-open", root.toString(), "--socket",
                    socket.toString(), "courses.txt");
            assertEquals(0, sandboxed.exit(), sandboxed::toString);
            assertEquals(List.of("direct open: " + courses + ": permission denied", "reply: 1 name, 1 OK, 0 failed",
                    "courses.txt OK 16 bytes: Course1\\nCourse2\\n"), sandboxed.outLines(), sandboxed::toString);
            assertEquals("", sandboxed.err(), sandboxed::toString);

            Map<String, String> threads = noNewPrivsByThread(server.process.pid());
            assertTrue(threads.keySet().stream().anyMatch(t -> t.startsWith("fdpass-server")), threads::toString);
            threads.forEach((name, flags) -> assertEquals("", flags.replace(name.startsWith("fdpass-server") ? "1"
                    : "0", ""), () -> name + ": " + threads));
            assertEquals(0, server.terminate(), server::log);
            assertFalse(Files.exists(socket), "the confined server left its socket behind");
        }
        try (Server server = Server.start(dir, socket, List.of(), "--root", root.toString(), "--no-confine")) {
            assertTrue(server.log().contains("not confined: confinement off"), server::log);
            assertTrue(noNewPrivsByThread(server.process.pid()).values().stream().noneMatch(f -> f.contains("1")));
            assertEquals(0, server.terminate(), server::log);
        }
    }

    /** The same demo as a user that is not root, where the file is readable by all but the sandbox. */
    @Test
    void aSandboxedClientOfAnotherUserCannotOpenTheFileEither() throws Exception {
        assumeTrue(Confinement.isSupported(), "needs Landlock (Linux 5.13+)");
        List<String> asNobody = asNobody("runs the client as nobody, which needs root (as any other user, the test "
                + "above is this one)");
        Path clientJar = clientJarForAll();
        Path root = sampleRoot();
        Path courses = root.resolve("courses.txt");
        Path socket = dir.resolve("fdpass.sock");
        try (Server server = Server.start(dir, socket, List.of(), "--root", root.toString(), "--mode", "0666")) {
            Result free = Jars.run(dir, Jars.command(asNobody, clientJar, "--try-open", root.toString(),
                    "--socket", socket.toString(), "courses.txt"));
            assertEquals("direct open: " + courses + ": opened", free.outLines().getFirst(), free::toString);
            Result sandboxed = Jars.run(dir, Jars.command(asNobody, clientJar, "--sandbox", "--try-open",
                    root.toString(), "--socket", socket.toString(), "courses.txt"));
            assertEquals(0, sandboxed.exit(), sandboxed::toString);
            assertEquals(List.of("direct open: " + courses + ": permission denied", "reply: 1 name, 1 OK, 0 failed",
                    "courses.txt OK 16 bytes: Course1\\nCourse2\\n"), sandboxed.outLines(), sandboxed::toString);
            assertEquals("", sandboxed.err(), sandboxed::toString);
            assertEquals(0, server.terminate(), server::log);
            assertTrue(server.log().contains("client uid=" + nobody()[0] + " "), server::log);
        }
    }

    @Test
    void serverRefusesToStartWithOneLine() throws Exception {
        Path root = sampleRoot();
        Result noRoot = Jars.run(dir, Jars.command(List.of(), Jars.SERVER_JAR, "--socket",
                dir.resolve("a.sock").toString(), "--root", dir.resolve("nope").toString()));
        assertEquals(1, noRoot.exit(), noRoot::toString);
        assertOneLine(noRoot, Pattern.quote("fdpass-example-server: root: " + dir.resolve("nope"))
                + " \\(no such directory\\)");

        Path socket = dir.resolve("fdpass.sock");
        try (Server server = Server.start(dir, socket, List.of(), "--root", root.toString())) {
            Result second = Jars.run(dir, Jars.command(List.of(), Jars.SERVER_JAR, "--socket", socket.toString(),
                    "--root", root.toString()));
            assertEquals(1, second.exit(), second::toString);
            assertOneLine(second, "fdpass-example-server: socket: another server is listening on " + socket);
            assertTrue(Jars.isSocket(socket), "the second server must leave the first one's socket alone");
            assertEquals(0, server.terminate(), server::log);
        }
    }

    @Test
    void helpAndVersion() throws Exception {
        for (Path jar : List.of(Jars.SERVER_JAR, Jars.CLIENT_JAR)) {
            String name = jar.getFileName().toString().replace(".jar", "");
            Result help = Jars.run(dir, Jars.command(List.of(), jar, "--help"));
            assertEquals(0, help.exit(), help::toString);
            assertTrue(help.out().startsWith("Usage: " + name + " "), help::toString);
            Result version = Jars.run(dir, Jars.command(List.of(), jar, "--version"));
            assertEquals(0, version.exit(), version::toString);
            assertTrue(version.out().startsWith(name + " "), version::toString);
            assertTrue(version.out().contains("Netty 4.2"), version::toString);
            Result bad = Jars.run(dir, Jars.command(List.of(), jar, "--no-such-option"));
            assertEquals(Cli.USAGE, bad.exit(), bad::toString);
        }
    }

    /** The jars are self-contained: manifest, merged service files, Netty's natives. */
    @Test
    void jarsAreSelfContained() throws Exception {
        for (Path jar : List.of(Jars.SERVER_JAR, Jars.CLIENT_JAR)) {
            try (JarFile file = new JarFile(jar.toFile())) {
                Manifest manifest = file.getManifest();
                assertNotNull(manifest, jar + " has no manifest");
                Attributes main = manifest.getMainAttributes();
                assertEquals("ALL-UNNAMED", main.getValue("Enable-Native-Access"), jar.toString());
                assertEquals(jar.equals(Jars.SERVER_JAR) ? ServerMain.class.getName() : ClientMain.class.getName(),
                        main.getValue("Main-Class"));
                String services;
                try (InputStream in = file.getInputStream(
                        file.getJarEntry("META-INF/services/io.fdpass.spi.FdPassTransport"))) {
                    services = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                assertTrue(services.contains("io.fdpass.epoll.EpollTransport")
                        && services.contains("io.fdpass.kqueue.KQueueTransport"), services);
                for (String lib : List.of("libnetty_transport_native_epoll_x86_64.so",
                        "libnetty_transport_native_epoll_aarch_64.so",
                        "libnetty_transport_native_kqueue_x86_64.jnilib",
                        "libnetty_transport_native_kqueue_aarch_64.jnilib")) {
                    assertNotNull(file.getJarEntry("META-INF/native/" + lib), jar + " lacks " + lib);
                }
                assertNotNull(file.getJarEntry("org/slf4j/simple/SimpleLogger.class"), jar + " lacks slf4j-simple");
            }
        }
    }

    /** Like {@link #assertOneLine}, where the server may have logged how it starts (INFO lines) before it failed. */
    private static void assertOneErrorLine(Result result, String regex) {
        List<String> lines = result.errLines().stream().filter(l -> !l.matches("\\d{4}-\\d\\d-\\d\\dT\\S+ INFO .*"))
                .toList();
        assertEquals(1, lines.size(), () -> "expected one line on stderr besides INFO logs\n" + result);
        assertTrue(lines.getFirst().matches(regex), () -> "stderr does not match " + regex + "\n" + result);
    }

    private static void assertOneLine(Result result, String regex) {
        List<String> lines = result.errLines();
        assertEquals(1, lines.size(), () -> "expected one line on stderr\n" + result);
        assertTrue(lines.getFirst().matches(regex) || lines.getFirst().equals(regex),
                () -> "stderr does not match " + regex + "\n" + result);
    }

    private static List<String> withPrefix(List<String> prefix, String... command) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(List.of(command));
        return all;
    }

    private static int myUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    private static int myGid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
    }

    /** setpriv's prefix that runs a command as nobody; skips the test, saying why, unless that can be done. */
    private static List<String> asNobody(String needsRoot) throws IOException {
        assumeTrue(myUid() == 0, needsRoot);
        Path setpriv = onPath("setpriv");
        assumeTrue(setpriv != null, "needs setpriv (util-linux) on PATH to run the client as nobody");
        int[] nobody = nobody();
        assumeTrue(nobody != null, "needs a user named nobody in /etc/passwd");
        return List.of(setpriv.toString(), "--reuid=" + nobody[0], "--regid=" + nobody[1], "--clear-groups");
    }

    /** A copy of the client jar that nobody can reach: @TempDir is 0700. */
    private Path clientJarForAll() throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path clientJar = Files.copy(Jars.CLIENT_JAR, dir.resolve("client.jar"));
        Files.setPosixFilePermissions(clientJar, PosixFilePermissions.fromString("rw-r--r--"));
        return clientJar;
    }

    /** nobody's uid and primary gid from /etc/passwd, or null. */
    private static int[] nobody() throws IOException {
        for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
            String[] f = line.split(":");
            if (f.length > 3 && f[0].equals("nobody")) {
                return new int[] {Integer.parseInt(f[2]), Integer.parseInt(f[3])};
            }
        }
        return null;
    }

    private static Path onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(d.isEmpty() ? "." : d, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        for (String d : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            Path p = Path.of(d, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Each thread of process {@code pid} by name (its first 15 characters, as /proc has it), with its NoNewPrivs
     * flag (one character per thread of that name).
     */
    private static Map<String, String> noNewPrivsByThread(long pid) throws IOException {
        Map<String, String> threads = new TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String flag = Files.readAllLines(task.resolve("status")).stream()
                            .filter(l -> l.startsWith("NoNewPrivs:")).map(l -> l.substring(11).strip())
                            .findFirst().orElse("?");
                    threads.merge(Files.readString(task.resolve("comm")).strip(), flag, String::concat);
                } catch (IOException gone) {
                    // The thread ended meanwhile.
                }
            }
        }
        return threads;
    }

    /** Whether process {@code pid} ignores signal {@code sig} (Linux: /proc/PID/status, SigIgn). */
    private static boolean ignores(long pid, int sig) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << (sig - 1))) != 0;
            }
        }
        return false;
    }
}
