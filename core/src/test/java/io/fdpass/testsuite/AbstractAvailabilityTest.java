package io.fdpass.testsuite;

import io.fdpass.FdPassErrorException;
import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassError;
import io.fdpass.codec.FdPassReply;
import io.fdpass.server.FdPassServer;
import io.fdpass.testing.Ids;
import io.fdpass.testing.LogLines;
import io.fdpass.testing.TestFrames;
import io.netty.channel.unix.FileDescriptor;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What keeps one client from taking the server from the others: a frame begun must arrive whole in time, an idle
 * connection ends, a uid past its share of connections is refused (and its client waits before it tries again),
 * and what the server refuses is logged in lines that a flood cannot multiply.
 */
public abstract class AbstractAvailabilityTest extends AbstractFdPassTest {

    @Test
    void aHalfSentFrameIsTimedOutAfterTheRepliesToTheRequestsBeforeIt() throws Exception {
        try (FdPassServer server = server().frameTimeout(Duration.ofMillis(300)).start();
             RawClient raw = new RawClient(transport(), socket)) {
            byte[] whole = TestFrames.requests(1, "courses.txt");
            byte[] half = Arrays.copyOf(TestFrames.requests(1, "contacts.txt"), 9);
            byte[] both = Arrays.copyOf(whole, whole.length + half.length);
            System.arraycopy(half, 0, both, whole.length, half.length);
            raw.write(both);
            assertEquals(1, raw.next(FdPassReply.class).descriptorCount());
            raw.next(FileDescriptor.class).close();
            FdPassError error = raw.next(FdPassError.class);
            assertEquals(ErrorCode.TIMED_OUT, error.errorCode());
            assertEquals("a frame begun 300 ms ago is not complete", error.message());
            assertSame(RawClient.CLOSED, raw.next(), "then the end of the stream");
            assertEquals(1, server.stats().snapshot().errors(ErrorCode.TIMED_OUT));
        }
    }

    /** Slowloris: a frame whose bytes come one by one, each in time for a read timeout, is timed out as a whole. */
    @Test
    void aFrameWhoseBytesTrickleInIsTimedOutAllTheSame() throws Exception {
        try (FdPassServer server = server().frameTimeout(Duration.ofMillis(300)).start();
             RawClient raw = new RawClient(transport(), socket)) {
            raw.trickle(TestFrames.requests(1, "courses.txt", "campusinfo.txt", "contacts.txt"), 50);
            FdPassError error = raw.next(FdPassError.class);
            assertEquals(ErrorCode.TIMED_OUT, error.errorCode());
            assertSame(RawClient.CLOSED, raw.next());
        }
    }

    @Test
    void anIdleConnectionIsTimedOutAndFdpassClientsConnectAgain() throws Exception {
        try (FdPassServer server = server().idleTimeout(Duration.ofMillis(300)).start()) {
            try (RawClient raw = new RawClient(transport(), socket)) {
                FdPassError error = raw.next(FdPassError.class);
                assertEquals(ErrorCode.TIMED_OUT, error.errorCode());
                assertEquals("idle for 300 ms with nothing unanswered", error.message());
                assertSame(RawClient.CLOSED, raw.next());
            }
            try (FdPassClient client = connect()) {
                try (ReceivedReply reply = client.request("courses.txt").join()) {
                    assertEquals(COURSES, AbstractServeTest.readAll(reply.entry(0).file()));
                }
                // Answered, then idle: timed out all the same, and the next request connects again.
                await(() -> !client.isOpen(), "the idle connection was not closed");
                try (ReceivedReply reply = client.request("contacts.txt").join()) {
                    assertEquals(CONTACTS, AbstractServeTest.readAll(reply.entry(0).file()), "after reconnecting");
                }
            }
            assertTrue(server.stats().snapshot().errors(ErrorCode.TIMED_OUT) >= 2);
        }
    }

    /** Past its uid's share a connection gets HELLO, then ERROR TOO_MANY_CONNECTIONS, and holds no slot. */
    @Test
    void aUidAtItsShareIsRefusedWithHelloThenAnErrorAndHoldsNoSlot() throws Exception {
        int uid = Ids.uid();
        try (FdPassServer server = server().maxConnectionsPerUid(2).start();
             FdPassClient first = connect();
             FdPassClient second = connect()) {
            FdPassErrorException refused = assertThrows(FdPassErrorException.class, this::connect);
            assertEquals("server refused the connection: too many connections: uid " + uid + " has 2 of 2"
                    + " (TOO_MANY_CONNECTIONS)", refused.getMessage());
            try (RawClient raw = new RawClient(transport(), socket)) { // it checks that HELLO comes first
                // Discarded if it arrives before the close: a client may pipeline before it reads HELLO.
                raw.writeLater(TestFrames.requests(1, "courses.txt"));
                FdPassError error = raw.next(FdPassError.class);
                assertEquals(ErrorCode.TOO_MANY_CONNECTIONS, error.errorCode());
                assertSame(RawClient.CLOSED, raw.next());
            }
            assertEquals(2, server.connectionCount());
            first.close();
            await(() -> server.connectionCount() == 1, "the first connection still counts");
            try (FdPassClient third = connect(); ReceivedReply reply = third.request("courses.txt").join()) {
                assertTrue(reply.allOk());
            }
            assertEquals(2, server.stats().snapshot().connectionsRefused());
        }
    }

    /**
     * A client refused (TOO_MANY_CONNECTIONS) waits a second before each new attempt, rather than retry at once: in
     * 2.5 s of reconnecting it tries three times, where the pauses it takes after other failures (10 ms, 20 ms ...)
     * would have made eight attempts. Its request then fails saying why.
     */
    @Test
    void aRefusedClientTriesAgainOnlyAfterALongerPause() throws Exception {
        FdPassServer first = server().start();
        try (FdPassClient client = client().reconnectTimeout(Duration.ofMillis(2500)).connect()) {
            first.close();
            await(() -> !client.isOpen(), "the client never saw the first server go");
            try (FdPassServer second = server().maxConnectionsPerUid(1).start(); FdPassClient holder = connect()) {
                CompletableFuture<ReceivedReply> refused = client.request("courses.txt");
                CompletionException e = assertThrows(CompletionException.class, refused::join);
                assertEquals(socket + ": cannot reconnect within 2500 ms: server refused the connection: too many "
                        + "connections: uid " + Ids.uid() + " has 1 of 1 (TOO_MANY_CONNECTIONS)",
                        e.getCause().getMessage());
                long attempts = second.stats().snapshot().connectionsRefused();
                assertTrue(attempts >= 2 && attempts <= 4, attempts + " attempts in 2.5 s");
                assertTrue(holder.isOpen());
            }
        }
    }

    /**
     * A flood of refused names is logged in a few lines: the first ones one by one (a long name shortened), then one
     * line per uid that counts them all, when the interval ends or the server closes.
     */
    @Test
    void aRefusingFloodLeavesTheLogSmallAndSummarisedByUid() throws Exception {
        int requests = 1000;
        String longName = "secret" + "x".repeat(3994);
        List<String> lines;
        try (LogLines log = LogLines.of("io.fdpass.server.ActivityLog")) {
            lines = log.lines();
            try (FdPassServer server = server().accessPolicy((peer, name) -> !name.startsWith("secret")).start();
                 FdPassClient client = connect()) {
                List<CompletableFuture<ReceivedReply>> replies = new ArrayList<>();
                for (int r = 0; r < requests; r++) {
                    List<String> names = new ArrayList<>();
                    for (int i = 0; i < 64; i++) {
                        names.add(r == 0 && i == 0 ? longName : "secret-" + i + ".txt");
                    }
                    replies.add(client.request(names));
                }
                for (CompletableFuture<ReceivedReply> reply : replies) {
                    reply.join().close();
                }
                assertEquals(64L * requests, server.stats().snapshot().namesRefusedByPolicy());
            }
        }
        int uid = Ids.uid();
        assertTrue(lines.size() <= 6, lines.size() + " lines: " + lines);
        assertTrue(lines.getFirst().startsWith("refused 64 names (\"secret" + "x".repeat(74) + "\"\u2026 (4000 "
                + "bytes) first) to uid=" + uid + " "), lines.getFirst());
        assertTrue(lines.getFirst().length() < 200, lines.getFirst());
        assertTrue(lines.getLast().matches("uid " + uid + ": 64,000 names refused by the access policy in the last "
                + "[\\d.]+ s"), lines.getLast());
        assertTrue(lines.stream().mapToInt(String::length).sum() < 2048, lines.toString());
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertFalse(System.nanoTime() > deadline, what);
            Thread.onSpinWait();
        }
    }

}
