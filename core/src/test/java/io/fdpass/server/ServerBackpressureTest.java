package io.fdpass.server;

import io.fdpass.codec.FdPassRequest;
import io.fdpass.server.MemoryServer.Connection;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's three bounds, in memory: requests unanswered ({@code maxUnanswered}), the send queue its client has
 * not read, and descriptors in flight (the connection's, the uid's and the server's shares of the budget, and the
 * reserve a uid with nothing in flight may draw on).
 */
class ServerBackpressureTest extends MemoryServerTest {
    /** Four names: a request's worth (maxNames), each one opened. */
    private static final String[] FOUR = {"a.txt", "b.txt", "c.txt", "d.txt"};
    private static final List<String> FOUR_ANSWERED = List.of("OK OK OK OK", "fd alpha", "fd bravo", "fd charlie",
            "fd delta");

    /** REPLY {@code id} to {@link #FOUR}, and its four descriptors. */
    private static List<String> answeredFour(int id) {
        List<String> lines = new ArrayList<>(FOUR_ANSWERED);
        lines.set(0, "REPLY " + id + " " + lines.getFirst());
        return lines;
    }

    @Test
    void maxUnansweredStopsReadingUntilAnAnswerIsWritten() throws IOException {
        ArrayDeque<Runnable> opens = new ArrayDeque<>();
        start(MemoryServer.builder(dir).maxUnanswered(3).openExecutor(opens::add));
        Connection c = served(1);
        c.send(FdPassRequest.of(0, "a.txt"), FdPassRequest.of(1, "b.txt"));
        assertTrue(c.isReading(), "2 of 3 unanswered");
        c.send(FdPassRequest.of(2, "c.txt"));
        assertFalse(c.isReading(), "3 of 3 unanswered: no more is read");
        assertEquals(1, opens.size(), "the first opens; those behind it wait for its answer, in order");

        opens.poll().run();
        server.advance(0);
        assertEquals(List.of("REPLY 0 OK", "fd alpha"), c.read());
        assertTrue(c.isReading(), "2 of 3 unanswered");
        assertEquals(1, opens.size(), "the two behind it open together");
        opens.poll().run();
        server.advance(0);
        assertEquals(List.of("REPLY 1 OK", "fd bravo", "REPLY 2 OK", "fd charlie"), c.read());
        assertTrue(opens.isEmpty());
    }

    /**
     * No REPLY while the send queue its client has not read is over the bound; nothing tells the server that the
     * client read, so a re-check finds out and lets the replies go.
     */
    @Test
    void theSendQueueBoundHoldsRepliesUntilTheClientReadsAndAReCheckSeesIt() throws IOException {
        start(MemoryServer.builder(dir).maxUnreadBytes(SendQueueBound.MESSAGE_COST));
        Connection c = served(1);
        c.socket.unread(10);
        c.send(FdPassRequest.of(0, "a.txt"), FdPassRequest.of(1, "b.txt"), FdPassRequest.of(2, "c.txt"));
        // The queue is asked only once the writes since it was last asked could have filled it: the first goes.
        assertEquals(List.of("REPLY 0 OK", "fd alpha"), c.read());
        server.advance(1_000);
        assertEquals(List.of(), c.read(), "held back while its client reads nothing");
        assertFalse(c.isReading());
        c.socket.unread(2);
        server.advance(1_000);
        assertEquals(List.of(), c.read(), "it read some, not enough");
        assertEquals(1, server.stats().backpressurePauses(), "one pause, however many re-checks");
        assertEquals(0, server.stats().budgetPauses());

        c.socket.readAll();
        assertEquals(List.of(), c.read(), "nothing says that the client read: a re-check must find out");
        server.advance(100);
        assertEquals(List.of("REPLY 1 OK", "fd bravo", "REPLY 2 OK", "fd charlie"), c.read());
        assertTrue(c.isReading(), "reads again once nothing is held back");
    }

    /** With RLIMIT_NOFILE 456: 342 in flight in all, 257 shared, 32 per uid, 8 per connection. */
    private MemoryServer.Builder shares456() {
        return MemoryServer.builder(dir).openFileLimit(456).maxConnections(64, 8);
    }

    @Test
    void aConnectionWithItsShareInFlightIsHeldBackUntilItsClientReads() throws IOException {
        start(shares456());
        assertEquals(8, server.budget().perConnection());
        Connection c = served(1);
        c.socket.unread(0);
        c.send(FdPassRequest.of(0, FOUR), FdPassRequest.of(1, FOUR), FdPassRequest.of(2, FOUR));
        List<String> expected = new ArrayList<>(answeredFour(0));
        expected.addAll(answeredFour(1));
        assertEquals(expected, c.read());
        server.advance(1_000);
        assertEquals(List.of(), c.read(), "8 in flight, its share: the third waits");
        assertEquals(8, server.budget().inFlight());
        assertEquals(1, server.stats().budgetPauses());
        assertEquals(0, server.stats().backpressurePauses(), "its send queue has room");

        Connection other = served(1);
        other.send(FdPassRequest.of(0, FOUR));
        assertEquals(answeredFour(0), other.read(), "another connection of the uid has a share of its own");

        c.socket.readAll();
        server.advance(100);
        assertEquals(answeredFour(2), c.read());
        server.advance(1_000);
        assertEquals(0, server.budget().inFlight(), "all read: nothing left in flight");
    }

    @Test
    void aUidWithItsShareInFlightIsHeldBackOnEachOfItsConnectionsUntilOneOfItsClientsReads() throws IOException {
        start(shares456());
        assertEquals(32, server.budget().perUid());
        List<Connection> full = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Connection c = served(1);
            c.socket.unread(0);
            c.send(FdPassRequest.of(0, FOUR), FdPassRequest.of(1, FOUR));
            assertEquals(10, c.read().size());
            full.add(c);
        }
        assertEquals(32, server.budget().inFlight());
        Connection fifth = served(1);
        fifth.send(FdPassRequest.of(0, FOUR));
        Connection otherUid = served(2);
        otherUid.send(FdPassRequest.of(0, FOUR));
        assertEquals(answeredFour(0), otherUid.read(), "another uid has a share of its own");
        server.advance(1_000);
        assertEquals(List.of(), fifth.read(), "its uid has its share in flight");

        full.getFirst().socket.readAll();
        server.advance(200);
        assertEquals(answeredFour(0), fifth.read(), "one of its uid's clients read: there is room again");
    }

    /**
     * With RLIMIT_NOFILE 115: 87 in flight in all, 66 shared, 8 per uid, 4 per connection. Eight uids whose clients
     * never read hold 64: a uid with something in flight then waits for the shared part, which no client of its own
     * can free (so no stall timeout applies), and a uid with nothing in flight draws a request's worth on the reserve.
     */
    @Test
    void theServersTotalHoldsBackUidsWithSomethingInFlightAndTheReserveServesAUidWithNothing() throws IOException {
        start(MemoryServer.builder(dir).openFileLimit(115).maxConnections(64, 2).stallTimeoutMillis(5_000));
        assertEquals(List.of(87, 66, 8, 4), List.of(server.budget().total(), server.budget().shared(),
                server.budget().perUid(), server.budget().perConnection()));
        List<Connection> nonReaders = new ArrayList<>();
        for (int uid = 10; uid < 18; uid++) {
            for (int i = 0; i < 2; i++) {
                Connection c = served(uid);
                c.socket.unread(0);
                c.send(FdPassRequest.of(0, FOUR));
                assertEquals(answeredFour(0), c.read());
                nonReaders.add(c);
            }
        }
        assertEquals(64, server.budget().inFlight());

        Connection first = served(1);
        first.socket.unread(0);
        first.send(FdPassRequest.of(0, FOUR));
        assertEquals(answeredFour(0), first.read(), "uid 1 had nothing in flight: the reserve");
        Connection second = served(1);
        second.send(FdPassRequest.of(0, FOUR));
        Connection another = served(2);
        another.send(FdPassRequest.of(0, FOUR));
        assertEquals(answeredFour(0), another.read(), "uid 2 had nothing in flight: the reserve");
        server.advance(10_000);
        assertEquals(List.of(), second.read(), "uid 1 has some in flight, and the shared part is full");
        assertTrue(second.isOpen(), "no stall timeout: its clients cannot free the shared part");

        for (Connection c : nonReaders) {
            c.socket.readAll();
        }
        server.advance(200);
        assertEquals(answeredFour(0), second.read());
    }
}
