package io.fdpass.server;

import io.fdpass.Peer;
import io.fdpass.testing.LogLines;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The log's bounds: a few lines per kind and interval, then one line per uid; names escaped and shortened. */
class ActivityLogTest {
    private final LogLines captured = LogLines.of(ActivityLog.class.getName());
    private final List<String> lines = captured.lines();
    /** An event loop whose time moves only when told, for the log's intervals and the flush it schedules. */
    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final EventExecutor executor = loop.eventLoop();

    @BeforeEach
    void freezeTime() {
        loop.freezeTime();
    }

    @AfterEach
    void release() {
        captured.close();
        loop.finishAndReleaseAll();
    }

    private static Peer peer(int uid) {
        return new Peer(uid, uid, 100 + uid);
    }

    @Test
    void aLongNameIsShortenedAndEveryNameEscaped() {
        byte[] longName = "a".repeat(5000).getBytes(StandardCharsets.UTF_8);
        assertEquals('"' + "a".repeat(80) + "\"\u2026 (5000 bytes)", ActivityLog.printable(longName));
        assertEquals("\"a\\nb\\tc\\\\d\\\"e\\x1b\"", ActivityLog.printable("a\nb\tc\\d\"e\u001b"
                .getBytes(StandardCharsets.UTF_8)));
        // 79 ASCII characters and an emoji (a surrogate pair) at 80: the pair is not cut in two.
        String emoji = "x".repeat(79) + "\uD83D\uDE00" + "y";
        assertEquals('"' + "x".repeat(79) + "\"\u2026 (84 bytes)", ActivityLog.printable(emoji
                .getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theFirstEventsOfAKindAreLoggedThenTheRestCountedByUid() {
        ActivityLog log = new ActivityLog(60_000, true, executor.ticker());
        for (int i = 0; i < 10; i++) {
            log.namesRefused(ActivityLog.Kind.REFUSED_BY_POLICY, peer(1), 64, "a.txt".getBytes(), executor);
        }
        for (int i = 0; i < 3; i++) {
            log.namesRefused(ActivityLog.Kind.REFUSED_BY_POLICY, peer(2), 1, "b.txt".getBytes(), executor);
        }
        log.connected(peer(3), executor);
        assertEquals(ActivityLog.LINES_PER_INTERVAL + 1, lines.size(), lines.toString());
        assertEquals("refused 64 names (\"a.txt\" first) to uid=1 gid=1 pid=101: the access policy", lines.get(0));
        assertEquals("refused 64 names (\"a.txt\" first) to uid=1 gid=1 pid=101: the access policy (more names "
                + "refused by the access policy are counted by uid and logged every 60 s)", lines.get(4));
        assertEquals("client uid=3 gid=3 pid=103", lines.get(5));
        lines.clear();
        log.flush();
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).matches("uid 1: 640 names refused by the access policy in the last [\\d.]+ s"),
                lines.get(0));
        assertTrue(lines.get(1).matches("uid 2: 3 names refused by the access policy in the last [\\d.]+ s"),
                lines.get(1));
        lines.clear();
        log.flush();
        assertEquals(List.of(), lines, "nothing more to say");
    }

    @Test
    void theSummaryComesWhenTheIntervalEndsAndNamesAFewUidsAtMost() throws InterruptedException {
        ActivityLog log = new ActivityLog(200, false, executor.ticker());
        log.connected(peer(1), executor);
        assertEquals(List.of(), lines, "connections are not logged unless asked");
        int uids = ActivityLog.UIDS_PER_SUMMARY + 4;
        for (int uid = 0; uid < uids; uid++) {
            for (int i = 0; i <= uid; i++) {
                log.connectionRefused(peer(1000 + uid), "too many connections", executor);
            }
        }
        assertEquals(ActivityLog.LINES_PER_INTERVAL, lines.size(), "before the interval ends: " + lines);
        loop.advanceTimeBy(199, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
        assertEquals(ActivityLog.LINES_PER_INTERVAL, lines.size(), "a millisecond before the interval ends: " + lines);
        loop.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
        List<String> summary = lines.subList(ActivityLog.LINES_PER_INTERVAL, lines.size());
        assertEquals(ActivityLog.UIDS_PER_SUMMARY + 1, summary.size(), summary.toString());
        assertTrue(summary.getFirst().matches("uid 1019: 20 connections refused in the last 0.2 s"),
                summary.getFirst());
        // The five logged one by one were uid 1000's, uid 1001's two and two of uid 1002's three; 18 uids had some
        // not logged, and the two with the fewest in all, 1003 (4) and 1002 (3), share the last line.
        assertTrue(summary.getLast().matches("2 other uids: 7 connections refused in the last 0.2 s"),
                summary.getLast());
    }
}
