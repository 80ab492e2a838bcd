package io.fdpass.testsuite;

import io.fdpass.FdPassErrorException;
import io.fdpass.client.FdPassClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.fdpass.testsuite.ProcessTests.SIXTY_FOUR;
import static io.fdpass.testsuite.ProcessTests.await;
import static io.fdpass.testsuite.ProcessTests.connections;
import static io.fdpass.testsuite.ProcessTests.copyForAll;
import static io.fdpass.testsuite.ProcessTests.deleteRecursively;
import static io.fdpass.testsuite.ProcessTests.field;
import static io.fdpass.testsuite.ProcessTests.isLinux;
import static io.fdpass.testsuite.ProcessTests.nofile;
import static io.fdpass.testsuite.ProcessTests.onPath;
import static io.fdpass.testsuite.ProcessTests.prlimit;
import static io.fdpass.testsuite.ProcessTests.readableByAll;
import static io.fdpass.testsuite.ProcessTests.stats;
import static io.fdpass.testsuite.ProcessTests.uid;
import static io.fdpass.testsuite.ProcessTests.writeFiles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the clients of some uids can take from the others, tried as an attacker would, with real processes: a server
 * in a process of its own, under a lowered RLIMIT_NOFILE, and clients running as other users. A uid holds no more
 * connections than its limit, whatever fails as they close; clients that never read, of several uids, leave a client
 * of another uid served.
 */
public abstract class AbstractUidSharesTest extends AbstractFdPassTest {
    private static final List<String> EIGHT = SIXTY_FOUR.subList(0, 8);
    private static final List<String> FOUR = SIXTY_FOUR.subList(0, 4);
    /** For the child JVMs that only hold connections: small, and quick to start. */
    private static final List<String> SMALL_JVM = List.of("-Xmx64m", "-XX:TieredStopAtLevel=1", "-Xss256k");

    private final List<FaultProcess> children = new ArrayList<>();
    private final List<FaultSocket> sockets = new ArrayList<>();

    @AfterEach
    void endChildren() throws InterruptedException {
        sockets.forEach(FaultSocket::close);
        for (FaultProcess child : children) {
            child.close();
        }
    }

    /**
     * A uid at its limit of connections closes one of them, by the closing rule after an ERROR, while its client has
     * descriptors unread and the server has no descriptor free to follow them after the close (dup(2) fails with
     * EMFILE): the connection's slot is given back once, so the uid can open exactly one more connection, not two.
     */
    @Test
    void aUidsSlotIsGivenBackOnceWhenNoDescriptorIsFreeToFollowWhatItsClientHasNotRead() throws Exception {
        assumeTrue(isLinux(), "needs /proc");
        assumeTrue(onPath("prlimit"), "prlimit(1) (util-linux) is not installed");
        writeFiles(root);
        FaultProcess server = startServer(List.of(), FaultProcess.classPath(), dir, "--socket", socket.toString(),
                "--root", root.toString(), "--max-connections-per-uid", "4");
        for (int i = 0; i < 4; i++) {
            FaultSocket client = FaultSocket.connect(socket);
            sockets.add(client);
            assertEquals(4, client.readFrame().type(), "HELLO");
        }
        FaultSocket unread = sockets.getFirst();
        unread.write(ProcessClient.requests(1, EIGHT));
        await(() -> field(stats(server), "inFlight").equals("8"), () -> "not sent: " + stats(server));

        long[] original = nofile(server.pid());
        prlimit(server.pid(), "3:"); // none free: the descriptors it has stay open, dup(2) fails
        unread.write(new byte[] {0, 0, 0, 0}); // length 0: ERROR MALFORMED_FRAME, then the linger timeout passes
        await(() -> connections(server) == 3, () -> "not closed: " + stats(server));
        prlimit(server.pid(), original[0] + ":");

        List<FdPassClient> more = new ArrayList<>();
        String refusal = null;
        try {
            while (refusal == null && more.size() < 4) {
                try {
                    more.add(client().socket(socket).connect());
                } catch (FdPassErrorException e) {
                    refusal = e.getMessage();
                }
            }
        } finally {
            more.forEach(FdPassClient::close);
        }
        assertEquals(1, more.size(), "connections admitted after the close: " + stats(server));
        assertEquals("server refused the connection: too many connections: uid " + uid() + " has 4 of 4 "
                + "(TOO_MANY_CONNECTIONS)", refusal);
    }

    /**
     * The server as nobody under RLIMIT_NOFILE 4096 (a budget of 3,072 descriptors in flight): sixteen connections
     * of four uids pipeline 64-name requests and never read; a client of a fifth uid, fetching 4 and then 64 names on
     * each of ten connections, is served every time.
     */
    @Test
    void nonReadersOfFourUidsLeaveAnotherUidServedWithNofile4096() throws Exception {
        nonReadersLeaveAnotherUidServed(true, 4096, 4, 4);
    }

    /**
     * The server as root under RLIMIT_NOFILE 20000 (a budget of 15,000; root is exempt from the kernel's limit on
     * descriptors in flight, not from the server's budget): 300 connections of six uids that never read; a client
     * of a seventh uid is served every time.
     */
    @Test
    void nonReadersOfSixUidsLeaveAnotherUidServedAsRoot() throws Exception {
        nonReadersLeaveAnotherUidServed(false, 20_000, 6, 50);
    }

    private void nonReadersLeaveAnotherUidServed(boolean asNobody, int limit, int uids, int connectionsEach)
            throws Exception {
        assumeTrue(isLinux(), "the limit on descriptors in flight is Linux's");
        assumeTrue(onPath("prlimit") && onPath("setpriv"), "prlimit(1) or setpriv(1) (util-linux) is missing");
        assumeTrue(uid() == 0, "needs root: the clients run as other users");
        Path shared = Files.createTempDirectory("fdpass-shares-");
        try {
            Path filesRoot = Files.createDirectory(shared.resolve("root"));
            Path socketDir = Files.createDirectory(shared.resolve("socket"));
            writeFiles(filesRoot);
            readableByAll(shared);
            if (asNobody) {
                Files.setAttribute(socketDir, "unix:uid", 65534);
                Files.setAttribute(socketDir, "unix:gid", 65534);
            }
            List<Path> classPath = copyForAll(FaultProcess.classPath(), Files.createDirectory(shared.resolve("classes")));
            List<String> wrapper = new ArrayList<>();
            if (asNobody) {
                wrapper.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "--inh-caps=-all"));
            }
            wrapper.addAll(List.of("prlimit", "--nofile=" + limit + ":" + limit));
            Path sharedSocket = socketDir.resolve("fdpass.sock");
            FaultProcess server = startServer(wrapper, classPath, shared, "--socket", sharedSocket.toString(),
                    "--root", filesRoot.toString(), "--socket-mode", "rw-rw-rw-");

            for (int u = 0; u < uids; u++) {
                FaultProcess holder = FaultProcess.start("non-readers-" + u, asUser(5000 + u), classPath, SMALL_JVM,
                        ProcessClient.class, List.of("--socket", sharedSocket.toString(), "--mode", "never",
                                "--connections", String.valueOf(connectionsEach), "--requests", "32", "--names",
                                String.join(",", SIXTY_FOUR)), shared);
                children.add(holder);
                holder.awaitLine("HOLDING", Duration.ofSeconds(60));
            }
            int held = uids * connectionsEach;
            // Each held back once: for its share of descriptors in flight, or for its send queue.
            await(() -> connections(server) == held && pauses(stats(server)) >= held,
                    () -> "the clients that do not read are not all held back: " + stats(server));
            String holding = stats(server);

            FaultProcess reader = FaultProcess.start("reader", asUser(4242), classPath, List.of(),
                    ProcessReader.class, List.of("--socket", sharedSocket.toString(), "--fetches", "10", "--names",
                            String.join(",", FOUR), "--then", String.join(",", SIXTY_FOUR)), shared);
            children.add(reader);
            assertEquals("SERVED requests=20 descriptors=680", reader.awaitLine("", Duration.ofSeconds(120)),
                    () -> "with " + holding + "; the server's log:\n" + server.stderr());
            System.out.printf("%s: %d uids x %d connections that never read, RLIMIT_NOFILE %d: %s; another uid "
                    + "served on each of 10 connections%n", getClass().getSimpleName(), uids, connectionsEach, limit,
                    holding);
        } finally {
            for (FaultProcess child : children) {
                child.close(); // before their directory goes
            }
            children.clear();
            deleteRecursively(shared);
        }
    }

    private static int pauses(String stats) {
        return Integer.parseInt(field(stats, "pauses")) + Integer.parseInt(field(stats, "budgetPauses"));
    }

    private static List<String> asUser(int uid) {
        return List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups");
    }

    private FaultProcess startServer(List<String> wrapper, List<Path> classPath, Path workDir, String... options)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("--transport", transport().name(), "--linger-millis", "1000"));
        args.addAll(List.of(options));
        FaultProcess server = FaultProcess.start("server", wrapper, classPath, List.of(), ProcessServer.class, args,
                workDir);
        children.add(server);
        server.awaitLine("READY", Duration.ofSeconds(30));
        return server;
    }
}
