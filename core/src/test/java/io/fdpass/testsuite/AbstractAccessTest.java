package io.fdpass.testsuite;

import io.fdpass.AccessPolicy;
import io.fdpass.FdPassErrorException;
import io.fdpass.FdPassException;
import io.fdpass.Peer;
import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FileStatus;
import io.fdpass.server.FdPassServer;
import io.fdpass.server.FdPassServerStats;
import io.fdpass.testing.Ids;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Who gets in and who gets what: the access policy, the socket's mode, the connection cap. */
public abstract class AbstractAccessTest extends AbstractFdPassTest {

    @Test
    void thePolicySeesThePeersCredentialsAndRefusesByUidNameByName() throws Exception {
        int uid = Ids.uid();
        int gid = Ids.gid();
        List<Peer> seen = new CopyOnWriteArrayList<>();
        AccessPolicy notContacts = (peer, name) -> seen.add(peer) && !name.equals("contacts.txt");
        try (FdPassServer server = server().accessPolicy(notContacts).start();
             FdPassClient client = connect();
             ReceivedReply reply = client.request("courses.txt", "contacts.txt", "../x").join()) {
            assertEquals(FileStatus.OK, reply.entry(0).status());
            assertEquals(FileStatus.PERMISSION_DENIED, reply.entry(1).status());
            assertEquals(FileStatus.INVALID_NAME, reply.entry(2).status(), "invalid names never reach the policy");
        }
        assertEquals(List.of(new Peer(uid, gid, (int) ProcessHandle.current().pid()),
                new Peer(uid, gid, (int) ProcessHandle.current().pid())), seen);

        // A policy that refuses names but admits the peer: refused name by name, and the connection stays.
        try (FdPassServer server = server().accessPolicy((peer, name) -> false).start();
             FdPassClient client = connect();
             ReceivedReply reply = client.request("courses.txt", "campusinfo.txt").join()) {
            for (ReceivedReply.Entry entry : reply.entries()) {
                assertEquals(FileStatus.PERMISSION_DENIED, entry.status(), entry.name());
            }
            assertTrue(client.isOpen(), "a peer refused names keeps its connection");
        }
    }

    /** A peer that AccessPolicy.uids refuses every name is refused at connect: HELLO, then ERROR 6, no slot held. */
    @Test
    void aPeerThePolicyRefusesEveryNameIsRefusedAtConnect() throws Exception {
        int uid = Ids.uid();
        try (FdPassServer server = server().accessPolicy(AccessPolicy.uids(uid + 1)).start()) {
            FdPassErrorException refused = assertThrows(FdPassErrorException.class, this::connect);
            assertEquals(ErrorCode.TOO_MANY_CONNECTIONS, refused.errorCode());
            assertEquals("server refused the connection: uid " + uid + " is not served (the access policy refuses "
                    + "it every name) (TOO_MANY_CONNECTIONS)", refused.getMessage());
            assertEquals(0, server.connectionCount());
            FdPassServerStats.Snapshot stats = server.stats().snapshot();
            assertEquals(1, stats.connectionsRefused());
            assertEquals(0, stats.connectionsAccepted());
            assertEquals(1, stats.errors(ErrorCode.TOO_MANY_CONNECTIONS));
        }
    }

    @Test
    void onConnectIsToldOfEachConnectionWithItsPeer() throws Exception {
        Peer me = new Peer(Ids.uid(), Ids.gid(), (int) ProcessHandle.current().pid());
        BlockingQueue<Peer> told = new LinkedBlockingQueue<>();
        try (FdPassServer server = server().maxConnections(2).maxConnectionsPerUid(2).onConnect(peer -> {
                 told.add(peer);
                 if (told.size() > 1) {
                     throw new IllegalStateException("a listener that fails");
                 }
             }).start();
             FdPassClient first = connect()) {
            assertEquals(me, told.poll(10, TimeUnit.SECONDS), "told of the first connection");
            try (FdPassClient second = connect()) {
                assertEquals(me, told.poll(10, TimeUnit.SECONDS), "told of the second connection");
                assertThrows(FdPassException.class, () -> client().connectTimeout(Duration.ofSeconds(5)).connect(),
                        "over the cap");
                try (ReceivedReply reply = second.request("contacts.txt").join()) {
                    assertEquals(CONTACTS, AbstractServeTest.readAll(reply.entry(0).file()),
                            "served after its listener failed");
                }
            }
            assertTrue(told.isEmpty(), "told of a connection refused at the cap: " + told);
        }
    }

    /** Over the cap, a connection gets HELLO and then ERROR TOO_MANY_CONNECTIONS (it was closed before HELLO). */
    @Test
    void theConnectionCapRefusesFurtherConnectionsAndTheOthersGoOn() throws Exception {
        try (FdPassServer server = server().maxConnections(2).maxConnectionsPerUid(2).start();
             FdPassClient first = connect();
             FdPassClient second = connect()) {
            FdPassErrorException refused = assertThrows(FdPassErrorException.class,
                    () -> client().connectTimeout(Duration.ofSeconds(5)).connect());
            assertEquals("server refused the connection: too many connections: 2 of 2 open (TOO_MANY_CONNECTIONS)",
                    refused.getMessage());
            for (FdPassClient client : List.of(first, second)) {
                try (ReceivedReply reply = client.request("contacts.txt").join()) {
                    assertEquals(CONTACTS, AbstractServeTest.readAll(reply.entry(0).file()));
                }
            }
            first.close();
            awaitConnections(server, 1);
            try (FdPassClient third = connect(); ReceivedReply reply = third.request("courses.txt").join()) {
                assertTrue(reply.allOk());
            }
        }
    }

    private static void awaitConnections(FdPassServer server, int expected) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.connectionCount() != expected && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(expected, server.connectionCount());
    }

    @Test
    void theSocketModeKeepsOutWhoMayNotWriteTheSocket() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root, to run a probe as nobody");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        // The probe runs as nobody: its directory (and the socket's) must be reachable by everyone.
        Path open = Files.createDirectory(dir.resolve("open"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path probe = Files.writeString(open.resolve("Probe.java"), """
                import java.net.UnixDomainSocketAddress;
                import java.nio.ByteBuffer;
                import java.nio.channels.SocketChannel;

                public class Probe {
                    public static void main(String[] args) {
                        try (SocketChannel s = SocketChannel.open(UnixDomainSocketAddress.of(args[0]))) {
                            ByteBuffer hello = ByteBuffer.allocate(9);
                            while (hello.hasRemaining() && s.read(hello) >= 0) { }
                            System.out.println("connected, magic " + Integer.toHexString(hello.getInt(5)));
                        } catch (java.io.IOException e) {
                            System.out.println("refused: " + e.getMessage());
                        }
                    }
                }
                """);
        Path sock = open.resolve("fdpass.sock");
        try (FdPassServer server = server().socket(sock).start()) {
            assertEquals("refused: Permission denied", runAsNobody(probe, sock));
        }
        try (FdPassServer server = server().socket(sock).socketMode("rw-rw-rw-").start()) {
            assertEquals("connected, magic 46445053", runAsNobody(probe, sock));
        }
    }

    private static String runAsNobody(Path probe, Path sock) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", java,
                probe.toString(), sock.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out;
    }
}
