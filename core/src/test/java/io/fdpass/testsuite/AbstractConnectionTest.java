package io.fdpass.testsuite;

import io.fdpass.FdPassErrorException;
import io.fdpass.FdPassException;
import io.fdpass.FileSource;
import io.fdpass.client.FdPassClient;
import io.fdpass.client.FdPassClientStats;
import io.fdpass.client.ReceivedReply;
import io.fdpass.codec.ErrorCode;
import io.fdpass.internal.Descriptors;
import io.fdpass.server.FdPassServer;
import io.fdpass.server.FileSources;
import io.fdpass.testing.Fds;
import io.fdpass.testing.TestSyscalls;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Connections that end: dropped, timed out, shut down; and who gets to listen on a path. */
public abstract class AbstractConnectionTest extends AbstractFdPassTest {

    @Test
    void droppingTheConnectionFailsRequestsInFlightAndLeaksNothing() throws Exception {
        int baseline = Fds.count();
        try (BlockingSource source = new BlockingSource(FileSources.beneath(root));
             FdPassServer server = server().fileSource(source).start()) {
            List<CompletableFuture<ReceivedReply>> inFlight = new ArrayList<>();
            FdPassClient client = connect();
            try (client) {
                for (int i = 0; i < 5; i++) {
                    inFlight.add(client.request("courses.txt", "contacts.txt"));
                }
                source.awaitEntered();
            }
            for (CompletableFuture<ReceivedReply> future : inFlight) {
                CompletionException e = assertThrows(CompletionException.class, future::join);
                FdPassException cause = assertInstanceOf(FdPassException.class, e.getCause());
                assertEquals("connection closed with 5 request(s) unanswered", cause.getMessage());
            }
            FdPassClientStats.Snapshot stats = client.stats().snapshot();
            assertEquals(5, stats.requests());
            assertEquals(Map.of(FdPassClientStats.Failure.CONNECTION_CLOSED, 5L), stats.failures());
            // The server now opens what it had read, for a connection that is gone: it must close all of it.
            source.release();
        }
        Fds.assertBackTo(baseline);
    }

    @Test
    void aRequestNobodyWaitsForAnyMoreHasItsDescriptorsClosed() throws Exception {
        int baseline = Fds.count();
        try (BlockingSource source = new BlockingSource(FileSources.beneath(root));
             FdPassServer server = server().fileSource(source).start();
             FdPassClient client = client().requestTimeout(Duration.ofMillis(50)).connect()) {
            CompletableFuture<ReceivedReply> late = client.request("courses.txt", "contacts.txt");
            CompletionException e = assertThrows(CompletionException.class, late::join);
            assertEquals("no reply within 50 ms", e.getCause().getMessage());
            source.release();
            // The late reply still arrives, in order, ahead of this one; its descriptors are closed on arrival.
            try (ReceivedReply next = client.request("campusinfo.txt").join()) {
                assertEquals(CAMPUSINFO, AbstractServeTest.readAll(next.entry(0).file()));
                assertEquals(1, client.stats().snapshot().descriptorsHeld());
            }
            FdPassClientStats.Snapshot stats = client.stats().snapshot();
            assertEquals(2, stats.replies());
            assertEquals(3, stats.descriptorsReceived());
            assertEquals(0, stats.descriptorsHeld(), "the late reply's descriptors were not released");
            assertEquals(Map.of(FdPassClientStats.Failure.TIMEOUT, 1L), stats.failures());
        }
        Fds.assertBackTo(baseline);
    }

    @Test
    void shutdownAnswersWhatWasReadThenFailsTheRestWithShuttingDown() throws Exception {
        try (BlockingSource source = new BlockingSource(FileSources.beneath(root))) {
            FdPassServer server = server().fileSource(source).maxUnanswered(1).start();
            try (FdPassClient client = connect()) {
                CompletableFuture<ReceivedReply> read = client.request("courses.txt");
                source.awaitEntered();
                // The server holds one unanswered request, its limit: it does not read this one.
                CompletableFuture<ReceivedReply> unread = client.request("contacts.txt");
                CompletableFuture<Void> closed = server.shutdownGracefully();
                assertFalse(Files.exists(socket), "the socket file outlived the shutdown");
                source.release();
                try (ReceivedReply reply = read.join()) {
                    assertEquals(COURSES, AbstractServeTest.readAll(reply.entry(0).file()));
                }
                CompletionException e = assertThrows(CompletionException.class, unread::join);
                FdPassErrorException error = assertInstanceOf(FdPassErrorException.class, e.getCause());
                assertEquals(ErrorCode.SHUTTING_DOWN, error.errorCode());
                assertEquals(1, client.stats().snapshot().failures(FdPassClientStats.Failure.SERVER_ERROR));
                closed.join();
            }
        }
    }

    @Test
    void aSecondServerRefusesALivePath() throws Exception {
        try (FdPassServer server = server().start()) {
            IOException e = assertThrows(IOException.class, () -> server().start());
            assertEquals("socket: another server is listening on " + socket, e.getMessage());
            try (FdPassClient client = connect(); ReceivedReply reply = client.request("contacts.txt").join()) {
                assertTrue(reply.allOk(), "the first server stopped serving");
            }
        }
    }

    @Test
    void aStaleSocketFileIsReplaced() throws Exception {
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket));
        try (FdPassServer server = server().start(); FdPassClient client = connect();
             ReceivedReply reply = client.request("contacts.txt").join()) {
            assertTrue(reply.allOk());
        }
    }

    @Test
    void aPathThatIsNotASocketIsRefused() throws Exception {
        Files.writeString(socket, "not a socket");
        IOException e = assertThrows(IOException.class, () -> server().start());
        assertEquals("socket: " + socket + " exists and is not a socket", e.getMessage());
        assertEquals("not a socket", Files.readString(socket));
    }

    @Test
    void aSocketPathLongerThanASocketAddressHoldsIsRefusedOnBothSides() throws Exception {
        Path tooLong = dir.resolve("x".repeat(Math.max(1, 120 - dir.toString().length())) + ".sock");
        int bytes = tooLong.toString().length();
        IOException e = assertThrows(IOException.class, () -> server().socket(tooLong).start());
        assertEquals("socket: " + tooLong + ": " + bytes + " bytes (expected: <= 107, what a Unix socket's address "
                + "holds)", e.getMessage());
        assertFalse(Files.exists(tooLong));
        FdPassException c = assertThrows(FdPassException.class, () -> client().socket(tooLong).connect());
        assertEquals(tooLong + ": " + bytes + " bytes (expected: <= 107, what a Unix socket's address holds)",
                c.getMessage());
    }

    @Test
    void aDirectoryTooLongToBindBesideIsRefusedWithTheUsersPath() throws Exception {
        // The socket is bound in a private directory beside it first: that path must fit too.
        Path deep = Files.createDirectories(dir.resolve("d".repeat(Math.max(1, 95 - dir.toString().length()))));
        Path path = deep.resolve("a.sock");
        assertTrue(path.toString().length() <= 107, path::toString);
        IOException e = assertThrows(IOException.class, () -> server().socket(path).start());
        assertEquals("socket: " + path + ": its directory's path is too long to bind in (" + deep.toString().length()
                + " bytes, expected: <= 88)", e.getMessage());
        try (var left = Files.list(deep)) {
            assertEquals(List.of(), left.toList(), "nothing left behind");
        }
    }

    @Test
    void connectingToAFileThatIsNotASocketSaysWhatItIs() throws Exception {
        Files.writeString(socket, "not a socket");
        FdPassException file = assertThrows(FdPassException.class, this::connect);
        assertEquals(socket + ": not a socket but a regular file", file.getMessage());
        Files.delete(socket);
        Files.createDirectory(socket);
        FdPassException directory = assertThrows(FdPassException.class, this::connect);
        assertEquals(socket + ": not a socket but a directory", directory.getMessage());
    }

    @Test
    void theSocketFileHasTheConfiguredModeAndGoesAwayOnClose() throws Exception {
        try (FdPassServer server = server().start()) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        }
        assertFalse(Files.exists(socket));
        try (FdPassServer server = server().socketMode("rw-rw----").start()) {
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        }
        assertFalse(Files.exists(socket));
    }

    @Test
    void aHandedOverListeningSocketIsServedAndNeitherReboundNorUnlinked() throws Throwable {
        int fd = TestSyscalls.listeningSocket(socket.toString());
        FdPassServer server;
        try {
            server = server().listeningSocket(fd).start();
        } catch (UnsupportedOperationException e) {
            Descriptors.close(fd);
            Assumptions.abort(e.getMessage()); // the transport says it cannot
            return;
        }
        try (server; FdPassClient client = connect(); ReceivedReply reply = client.request("courses.txt").join()) {
            assertEquals(COURSES, AbstractServeTest.readAll(reply.entry(0).file()));
            assertEquals(null, server.socketPath());
        }
        assertTrue(Files.exists(socket), "the server unlinked a socket it did not create");
    }

    @Test
    void aClientKeepsWorkingAcrossAServerRestartAndLeaksNothing() throws Exception {
        int baseline = Fds.count();
        FdPassServer first = server().start();
        try (FdPassClient client = client().reconnectTimeout(Duration.ofSeconds(20)).connect()) {
            try (ReceivedReply reply = client.request("courses.txt").join()) {
                assertTrue(reply.allOk());
            }
            first.close();
            awaitClosed(client);
            // Made while no server listens: it reconnects once one does.
            CompletableFuture<ReceivedReply> whileDown = client.request("contacts.txt");
            try (FdPassServer second = server().start()) {
                try (ReceivedReply reply = whileDown.join()) {
                    assertEquals(CONTACTS, AbstractServeTest.readAll(reply.entry(0).file()));
                }
                try (ReceivedReply reply = client.request("campusinfo.txt").join()) {
                    assertEquals(CAMPUSINFO, AbstractServeTest.readAll(reply.entry(0).file()));
                }
            }
            assertEquals(0, client.stats().snapshot().descriptorsHeld());
        }
        Fds.assertBackTo(baseline);
    }

    @Test
    void reconnectingGivesUpClearlyOnceItsDeadlinePasses() throws Exception {
        FdPassServer server = server().start();
        try (FdPassClient client = client().reconnectTimeout(Duration.ofMillis(200)).connect()) {
            server.close();
            awaitClosed(client);
            CompletionException e = assertThrows(CompletionException.class,
                    () -> client.request("courses.txt").join());
            assertEquals(socket + ": cannot reconnect within 200 ms: " + socket
                    + ": no such socket file (is the server running?)", e.getCause().getMessage());
        }
    }

    private static void awaitClosed(FdPassClient client) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (client.isOpen() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertFalse(client.isOpen(), "the client never saw the server go");
    }

    @Test
    void connectingWhereNoServerListensSaysSo() {
        FdPassException e = assertThrows(FdPassException.class, this::connect);
        assertEquals(socket + ": no such socket file (is the server running?)", e.getMessage());
    }
}
