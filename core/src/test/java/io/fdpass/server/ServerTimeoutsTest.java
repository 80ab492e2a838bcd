package io.fdpass.server;

import io.fdpass.codec.FdPassRequest;
import io.fdpass.server.MemoryServer.Connection;
import io.fdpass.testing.TestFrames;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection's timeouts, in memory, on the executor's clock: a frame begun and not completed, a connection idle
 * with nothing unanswered, and one held back by its own client, who reads nothing (the stall timeout).
 */
class ServerTimeoutsTest extends MemoryServerTest {
    /** A client that has read nothing of 10 messages: the first of its three requests is answered, the rest held. */
    private Connection heldBackByItsClient() {
        Connection c = served(1);
        c.socket.unread(10);
        c.send(FdPassRequest.of(0, "a.txt"), FdPassRequest.of(1, "b.txt"), FdPassRequest.of(2, "c.txt"));
        assertEquals(List.of("REPLY 0 OK", "fd alpha"), c.read());
        return c;
    }

    private static MemoryServer.Builder oneReplyAtATime(MemoryServer.Builder builder) {
        return builder.maxUnreadBytes(SendQueueBound.MESSAGE_COST);
    }

    @Test
    void aConnectionHeldBackWhoseClientReadsNothingForTheStallTimeoutIsTimedOutAndItsRequestsAreNotAnswered()
            throws IOException {
        start(oneReplyAtATime(MemoryServer.builder(dir)).stallTimeoutMillis(5_000).lingerMillis(1_000));
        Connection c = heldBackByItsClient();
        server.advance(4_999);
        assertEquals(List.of(), c.read());
        server.advance(1);
        assertEquals(List.of("ERROR TIMED_OUT"), c.read(), "and not the replies it was waiting to send");
        assertEquals("held back for 5000 ms: its clients read nothing of what they were sent", c.errorMessage);
        c.socket.readAll();
        server.advance(100);
        assertEquals(List.of(), c.read(), "its queued requests are not answered, even once it reads");
        assertFalse(c.isOpen(), "closed once it read the ERROR");
    }

    /** A faulty frame behind requests held back: the ERROR due waits for them, and the stall ends the wait. */
    @Test
    void theStallTimeoutSendsAnErrorDueBehindRepliesItsClientNeverLetGo() throws IOException {
        start(oneReplyAtATime(MemoryServer.builder(dir)).stallTimeoutMillis(5_000));
        Connection c = served(1);
        c.socket.unread(10);
        c.send(FdPassRequest.of(0, "a.txt"), FdPassRequest.of(1, "b.txt"), new byte[] {0, 0, 0, 0});
        assertEquals(List.of("REPLY 0 OK", "fd alpha"), c.read());
        server.advance(4_999);
        assertEquals(List.of(), c.read(), "the ERROR waits for the reply due before it");
        server.advance(1);
        assertEquals(List.of("ERROR MALFORMED_FRAME"), c.read(), "the reply dropped, the ERROR due sent");
    }

    /** What the client reads is seen at the next re-check, 100 ms later at most: its clock restarts from there. */
    @Test
    void readingSomethingRestartsTheStallClock() throws IOException {
        start(oneReplyAtATime(MemoryServer.builder(dir)).stallTimeoutMillis(5_000));
        Connection c = heldBackByItsClient();
        server.advance(4_000);
        c.socket.unread(5); // it read some, not enough to let a reply go
        server.advance(4_000);
        assertEquals(List.of(), c.read(), "the clock began again when it read");
        c.socket.unread(4);
        server.advance(4_800);
        assertEquals(List.of(), c.read(), "and again");
        server.advance(400);
        assertEquals(List.of("ERROR TIMED_OUT"), c.read(), "5 s after it last read");
    }

    @Test
    void aFrameBegunAndNotCompletedWithinTheFrameTimeoutIsTimedOut() throws IOException {
        start(MemoryServer.builder(dir).frameTimeoutMillis(1_000));
        Connection c = served(1);
        byte[] frame = TestFrames.requests(FdPassRequest.of(0, "a.txt"));
        c.send((Object) Arrays.copyOf(frame, 7));
        server.advance(999);
        assertEquals(List.of(), c.read());
        server.advance(1);
        assertEquals(List.of("ERROR TIMED_OUT"), c.read());
        assertEquals("a frame begun 1000 ms ago is not complete", c.errorMessage);
        assertFalse(c.isOpen(), "its client reads as it comes: closed once the ERROR is read");
    }

    /** The server stops reading a connection held back; the time it does not read is not the client's. */
    @Test
    void timeHeldBackDoesNotCountForTheFrameTimeout() throws IOException {
        start(oneReplyAtATime(MemoryServer.builder(dir)).frameTimeoutMillis(1_000).stallTimeoutMillis(0));
        Connection c = served(1);
        c.socket.unread(10);
        byte[] third = TestFrames.requests(FdPassRequest.of(2, "c.txt"));
        c.send(FdPassRequest.of(0, "a.txt"), FdPassRequest.of(1, "b.txt"), Arrays.copyOf(third, 7));
        assertEquals(List.of("REPLY 0 OK", "fd alpha"), c.read());
        assertFalse(c.isReading());
        server.advance(10_000);
        assertEquals(List.of(), c.read(), "no timeout while the server does not read");

        c.socket.readAll();
        server.advance(100);
        assertEquals(List.of("REPLY 1 OK", "fd bravo"), c.read());
        assertTrue(c.isReading());
        server.advance(899);
        c.send((Object) Arrays.copyOfRange(third, 7, third.length));
        assertEquals(List.of("REPLY 2 OK", "fd charlie"), c.read(), "the frame's time began when reading resumed");
    }

    @Test
    void aConnectionIdleWithNothingUnansweredIsTimedOut() throws IOException {
        start(MemoryServer.builder(dir).idleTimeoutMillis(10_000));
        Connection c = served(1);
        server.advance(6_000);
        c.send(FdPassRequest.of(0, "a.txt"));
        assertEquals(List.of("REPLY 0 OK", "fd alpha"), c.read());
        server.advance(9_999);
        assertEquals(List.of(), c.read(), "a request answered is activity");
        server.advance(1);
        assertEquals(List.of("ERROR TIMED_OUT"), c.read());
        assertEquals("idle for 10000 ms with nothing unanswered", c.errorMessage);
    }

    @Test
    void aConnectionWithRequestsUnansweredIsNotIdle() throws IOException {
        start(oneReplyAtATime(MemoryServer.builder(dir)).idleTimeoutMillis(10_000).stallTimeoutMillis(0));
        Connection c = heldBackByItsClient();
        server.advance(60_000);
        assertEquals(List.of(), c.read());
        assertTrue(c.isOpen());
        c.socket.readAll();
        server.advance(100);
        assertEquals(List.of("REPLY 1 OK", "fd bravo", "REPLY 2 OK", "fd charlie"), c.read());
        server.advance(10_000);
        assertEquals(List.of("ERROR TIMED_OUT"), c.read(), "idle once all is answered");
    }
}
