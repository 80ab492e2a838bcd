package io.fdpass.server;

import io.fdpass.Peer;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Ticker;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The server's log of who connects and what it refuses, made so that no client can fill a disk through it, as
 * daemons rate-limit their logs: in each interval (10 s) the first few events of each kind are logged as they
 * happen, the rest are counted by uid, and the interval ends with one line per uid and kind, such as {@code uid 1:
 * 3,088,384 names refused by the access policy in the last 10 s}. A name is logged escaped and, past 80 characters,
 * shortened. Logs at INFO; thread-safe, one per server.
 */
final class ActivityLog {
    /** Events of each kind logged one by one in an interval. */
    static final int LINES_PER_INTERVAL = 5;
    /** Uids summarised by name per kind and interval; the others in one line. */
    static final int UIDS_PER_SUMMARY = 16;
    /** Characters of a name logged at most. */
    static final int NAME_CHARS = 80;

    private static final InternalLogger log = InternalLoggerFactory.getInstance(ActivityLog.class);

    /** What is counted, with how its summary line says it. */
    enum Kind {
        CONNECTED("connections"),
        CONNECTION_REFUSED("connections refused"),
        REFUSED_BY_POLICY("names refused by the access policy"),
        NOT_READABLE("names the server may not read"),
        HELD_BACK("holds for descriptors in flight"),
        TIMED_OUT("connections timed out");

        final String summary;

        Kind(String summary) {
            this.summary = summary;
        }
    }

    private final long intervalNanos;
    private final boolean logConnections;

    // Guarded by this.
    private final Ticker ticker;
    private long intervalStart;
    private final int[] linesLeft = new int[Kind.values().length];
    /** Per kind: uid to {events in the interval, events of them not logged one by one}. */
    private final List<Map<Integer, long[]>> counts = new ArrayList<>();
    private boolean anySuppressed;
    private boolean flushScheduled;

    /**
     * @param intervalMillis how often what was not logged one by one is summarised
     * @param logConnections whether connections served are logged too, not only those refused
     * @param ticker where time comes from: the system's; one the tests move
     */
    ActivityLog(long intervalMillis, boolean logConnections, Ticker ticker) {
        this.ticker = ticker;
        this.intervalStart = ticker.nanoTime();
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
        this.logConnections = logConnections;
        for (int i = 0; i < Kind.values().length; i++) {
            counts.add(new HashMap<>());
        }
        Arrays.fill(linesLeft, LINES_PER_INTERVAL);
    }

    /** A line made only if it is logged. */
    @FunctionalInterface
    private interface Line {
        String text();
    }

    void connected(Peer peer, EventExecutor executor) {
        if (logConnections) {
            event(Kind.CONNECTED, peer, 1, executor, () -> "client " + peer);
        }
    }

    /** A connection refused; {@code peer} null when it was refused before its credentials were read. */
    void connectionRefused(Peer peer, String why, EventExecutor executor) {
        event(Kind.CONNECTION_REFUSED, peer, 1, executor,
                () -> "refused the connection of " + (peer == null ? "a client" : peer) + ": " + why);
    }

    /** {@code count} names of one request refused, {@code first} the first of them. */
    void namesRefused(Kind kind, Peer peer, int count, byte[] first, EventExecutor executor) {
        event(kind, peer, count, executor, () -> "refused " + (count == 1 ? printable(first)
                : count + " names (" + printable(first) + " first)") + " to " + peer + ": "
                + (kind == Kind.REFUSED_BY_POLICY ? "the access policy" : "the server may not read it"));
    }

    void heldBack(Peer peer, String why, EventExecutor executor) {
        event(Kind.HELD_BACK, peer, 1, executor, () -> "holding back replies to " + peer + ": " + why);
    }

    void timedOut(Peer peer, String why, EventExecutor executor) {
        event(Kind.TIMED_OUT, peer, 1, executor, () -> "timed out " + peer + ": " + why);
    }

    private void event(Kind kind, Peer peer, long count, EventExecutor executor, Line line) {
        if (!log.isInfoEnabled()) {
            return;
        }
        List<String> ended;
        boolean logNow;
        boolean last = false;
        boolean schedule = false;
        long left;
        synchronized (this) {
            long now = ticker.nanoTime();
            ended = now - intervalStart >= intervalNanos ? endInterval(now) : List.of();
            long[] uid = counts.get(kind.ordinal()).computeIfAbsent(peer == null ? -1 : peer.uid(), u -> new long[2]);
            uid[0] += count;
            logNow = linesLeft[kind.ordinal()] > 0;
            if (logNow) {
                last = --linesLeft[kind.ordinal()] == 0;
            } else {
                uid[1] += count;
                anySuppressed = true;
                schedule = !flushScheduled;
                flushScheduled = true;
            }
            left = intervalStart + intervalNanos - now;
        }
        ended.forEach(log::info);
        if (logNow) {
            log.info(last ? line.text() + " (more " + kind.summary + " are counted by uid and logged every "
                    + seconds(intervalNanos) + ")" : line.text());
        }
        if (schedule) {
            try {
                executor.schedule(this::flushIfDue, Math.max(0, left), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                flush(); // shutting down: now rather than never
            }
        }
    }

    private void flushIfDue() {
        List<String> lines;
        synchronized (this) {
            flushScheduled = false;
            long now = ticker.nanoTime();
            lines = now - intervalStart >= intervalNanos ? endInterval(now) : List.of();
        }
        lines.forEach(log::info);
    }

    /** Logs what was counted and not logged yet, however little of the interval passed: the server is closing. */
    public void flush() {
        List<String> lines;
        synchronized (this) {
            lines = endInterval(ticker.nanoTime());
        }
        lines.forEach(log::info);
    }

    /** Starts a new interval; the summary of the one that ended, for the caller to log outside the lock. */
    private List<String> endInterval(long now) {
        List<String> lines = new ArrayList<>();
        String window = " in the last " + seconds(now - intervalStart);
        for (Kind kind : Kind.values()) {
            Map<Integer, long[]> byUid = counts.get(kind.ordinal());
            if (anySuppressed) {
                List<Map.Entry<Integer, long[]>> summarised = new ArrayList<>();
                for (Map.Entry<Integer, long[]> e : byUid.entrySet()) {
                    if (e.getValue()[1] > 0) {
                        summarised.add(e);
                    }
                }
                summarised.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
                long others = 0;
                for (int i = 0; i < summarised.size(); i++) {
                    Map.Entry<Integer, long[]> e = summarised.get(i);
                    if (i < UIDS_PER_SUMMARY) {
                        lines.add((e.getKey() == -1 ? "uid ?" : "uid " + Integer.toUnsignedString(e.getKey()))
                                + ": " + String.format(Locale.ROOT, "%,d", e.getValue()[0]) + " " + kind.summary
                                + window);
                    } else {
                        others += e.getValue()[0];
                    }
                }
                if (others > 0) {
                    lines.add(String.format(Locale.ROOT, "%,d other uids: %,d %s%s",
                            summarised.size() - UIDS_PER_SUMMARY, others, kind.summary, window));
                }
            }
            byUid.clear();
        }
        anySuppressed = false;
        intervalStart = now;
        Arrays.fill(linesLeft, LINES_PER_INTERVAL);
        return lines;
    }

    private static String seconds(long nanos) {
        long tenths = Math.round(nanos / 1e8);
        return (tenths % 10 == 0 ? String.valueOf(tenths / 10) : tenths / 10 + "." + tenths % 10) + " s";
    }

    /**
     * A name for one line of log: control characters, backslashes and quotes escaped, its first {@value #NAME_CHARS}
     * characters only, with its length in bytes after them when it is longer, in quotes.
     */
    static String printable(byte[] name) {
        String text = new String(name, StandardCharsets.UTF_8);
        boolean shortened = text.length() > NAME_CHARS;
        if (shortened) {
            int end = NAME_CHARS;
            if (Character.isHighSurrogate(text.charAt(end - 1))) {
                end--;
            }
            text = text.substring(0, end);
        }
        StringBuilder out = new StringBuilder(text.length() + 16).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                        out.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
        return shortened ? out + "\u2026 (" + name.length + " bytes)" : out.toString();
    }
}
