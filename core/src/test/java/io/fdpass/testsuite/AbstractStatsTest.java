package io.fdpass.testsuite;

import io.fdpass.FdPassErrorException;
import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassError;
import io.fdpass.codec.FdPassReply;
import io.fdpass.codec.FileStatus;
import io.fdpass.internal.Descriptors;
import io.fdpass.server.FdPassServer;
import io.fdpass.server.FdPassServerStats;
import io.fdpass.testing.Ids;
import io.fdpass.testing.TestFrames;
import io.netty.channel.unix.FileDescriptor;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server's counters and Flight Recorder events tell exactly what a scripted sequence did. */
public abstract class AbstractStatsTest extends AbstractFdPassTest {
    private static final String[] SIXTY_FOUR = new String[64];

    static {
        Arrays.fill(SIXTY_FOUR, "courses.txt");
    }

    @Test
    void statsAndEventsMatchAScriptOfGoodBadRefusedAndBackpressuredRequests() throws Exception {
        Path jfr = dir.resolve("fdpass.jfr");
        FdPassServerStats stats;
        FdPassServerStats.Snapshot s;
        try (Recording recording = new Recording()) {
            for (String event : List.of("RequestServed", "ConnectionRefused", "ErrorSent", "BackpressurePause")) {
                recording.enable("fdpass." + event);
            }
            recording.start();
            FdPassServer server = server().maxConnections(2).maxConnectionsPerUid(2)
                    .accessPolicy((peer, name) -> !name.equals("contacts.txt")).start();
            stats = server.stats();
            try (FdPassClient good = connect()) {
                try (ReceivedReply reply = good.request("courses.txt", "missing.txt", "../x", "contacts.txt").join()) {
                    assertEquals(List.of(FileStatus.OK, FileStatus.NOT_FOUND, FileStatus.INVALID_NAME,
                            FileStatus.PERMISSION_DENIED), reply.entries().stream().map(ReceivedReply.Entry::status).toList());
                }
                try (ReceivedReply reply = good.request("campusinfo.txt").join()) {
                    assertTrue(reply.allOk());
                }
                try (RawClient bad = new RawClient(transport(), socket)) {
                    // The third of two: HELLO, then ERROR TOO_MANY_CONNECTIONS.
                    assertEquals(ErrorCode.TOO_MANY_CONNECTIONS,
                            assertThrows(FdPassErrorException.class, this::connect).errorCode());
                    bad.writeHex("00000007 01 00000009 0000"); // count 0
                    assertEquals(ErrorCode.MALFORMED_FRAME, bad.next(FdPassError.class).errorCode());
                    assertSame(RawClient.CLOSED, bad.next());
                }
                try (RawClient flooder = new RawClient(transport(), socket)) {
                    flooder.stopReading();
                    flooder.writeLater(TestFrames.requests(4, SIXTY_FOUR));
                    // Three replies of 65 messages fill what the server lets a client leave unread; the fourth
                    // waits. The server pauses once, and sends it when the flooder reads.
                    awaitPauses(stats, 1);
                    flooder.resumeReading();
                    for (int id = 0; id < 4; id++) {
                        assertEquals(64, flooder.next(FdPassReply.class).descriptorCount());
                        for (int i = 0; i < 64; i++) {
                            Descriptors.close(flooder.next(FileDescriptor.class).intValue());
                        }
                    }
                }
            }
            // The script ends when the server has seen every client go; its shutdown is not part of it.
            awaitConnections(server, 0);
            recording.stop();
            recording.dump(jfr);
            s = stats.snapshot();
            server.close();
        }

        assertEquals(3, s.connectionsAccepted());
        assertEquals(0, s.connectionsOpen());
        assertEquals(1, s.connectionsRefused());
        assertEquals(6, s.requestsAnswered());
        assertEquals(2 + 4 * 64, s.descriptorsSent());
        assertEquals(0, s.descriptorsHeld());
        assertEquals(1, s.namesRefusedByPolicy());
        assertEquals(1, s.backpressurePauses());
        assertEquals(Map.of(FileStatus.OK, 2L + 4 * 64, FileStatus.NOT_FOUND, 1L, FileStatus.INVALID_NAME, 1L,
                FileStatus.PERMISSION_DENIED, 1L), s.entries());
        assertEquals(0, s.budgetPauses());
        assertEquals(0, s.descriptorsInFlight(), "every client read everything, or closed");
        assertEquals(Map.of(ErrorCode.MALFORMED_FRAME, 1L, ErrorCode.TOO_MANY_CONNECTIONS, 1L), s.errors());

        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
        Map<String, List<RecordedEvent>> byType = events.stream()
                .collect(Collectors.groupingBy(e -> e.getEventType().getName()));
        List<RecordedEvent> served = byType.get("fdpass.RequestServed");
        assertEquals(6, served.size());
        assertEquals(List.of("OK,NOT_FOUND,INVALID_NAME,PERMISSION_DENIED", "OK"),
                served.stream().filter(e -> e.getInt("names") < 64).map(e -> e.getString("statuses")).toList());
        int uid = Ids.uid();
        for (RecordedEvent e : served) {
            assertEquals(uid, e.getInt("peerUid"));
            assertFalse(e.getDuration().isNegative());
        }
        assertEquals(4 * 64, served.stream().filter(e -> e.getInt("names") == 64)
                .mapToInt(e -> e.getInt("descriptors")).sum());
        assertEquals(1, byType.get("fdpass.ConnectionRefused").size());
        RecordedEvent refusal = byType.get("fdpass.ConnectionRefused").getFirst();
        assertEquals("TOTAL", refusal.getString("reason"));
        assertEquals(uid, refusal.getInt("peerUid"));
        assertEquals(List.of("MALFORMED_FRAME", "TOO_MANY_CONNECTIONS"),
                byType.get("fdpass.ErrorSent").stream().map(e -> e.getString("code")).sorted().toList());
        assertEquals(1, byType.get("fdpass.BackpressurePause").size());
        assertTrue(byType.get("fdpass.BackpressurePause").getFirst().getInt("unreadBytes") > 0);
    }

    /** Until the server counts {@code expected} connections, in its connection cap and in its stats alike. */
    private static void awaitConnections(FdPassServer server, int expected) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((server.connectionCount() != expected || server.stats().snapshot().connectionsOpen() != expected)
                && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(expected, server.connectionCount());
        assertEquals(expected, server.stats().snapshot().connectionsOpen());
    }

    private static void awaitPauses(FdPassServerStats stats, long expected) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (stats.snapshot().backpressurePauses() < expected && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(expected, stats.snapshot().backpressurePauses());
    }
}
