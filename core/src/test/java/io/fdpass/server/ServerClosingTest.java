package io.fdpass.server;

import io.fdpass.AccessPolicy;
import io.fdpass.Peer;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassRequest;
import io.fdpass.server.MemoryServer.Connection;
import io.fdpass.testing.MemorySocket;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a connection ends, in memory: the closing rule's three ends, refusals, and what a closed connection gives back,
 * once, however it closed (issue 21's first break: the uid's slot given back twice when no descriptor was free to
 * watch the socket).
 */
class ServerClosingTest extends MemoryServerTest {
    private static final byte[] ZERO_LENGTH_FRAME = {0, 0, 0, 0};

    /** Its client has read nothing of the two descriptors it was sent, and sends a faulty frame: ERROR. */
    private Connection lingering(int uid) {
        Connection c = served(uid);
        c.socket.unread(4);
        c.send(FdPassRequest.of(0, "a.txt", "b.txt"), ZERO_LENGTH_FRAME);
        assertEquals(List.of("REPLY 0 OK OK", "fd alpha", "fd bravo", "ERROR MALFORMED_FRAME"), c.read());
        return c;
    }

    @Test
    void afterAnErrorItClosesOnceItsClientHasReadEverything() throws IOException {
        start(MemoryServer.builder(dir).lingerMillis(10_000));
        Connection c = lingering(1);
        server.advance(5_000);
        assertTrue(c.isOpen(), "its client has not read the descriptors yet");
        assertEquals(2, server.budget().inFlight());
        c.socket.readAll();
        server.advance(10);
        assertFalse(c.isOpen());
        assertEquals(1, c.socket.discards());
        assertEquals(0, c.socket.watchesTaken(), "nothing left unread to watch");
        assertEquals(0, server.budget().inFlight());
    }

    @Test
    void afterItsClientsEndOfStreamItAnswersWhatWasSentThenClosesOnceItIsRead() throws IOException {
        start(MemoryServer.builder(dir).maxUnreadBytes(SendQueueBound.MESSAGE_COST));
        Connection c = served(1);
        c.socket.unread(6);
        c.send(FdPassRequest.of(0, "a.txt"), FdPassRequest.of(1, "b.txt"));
        c.channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals(List.of("REPLY 0 OK", "fd alpha"), c.read(), "the second is held back: its client reads nothing");
        server.advance(100);
        assertTrue(c.isOpen(), "a half-closed client still reads its replies");
        c.socket.unread(0); // it reads what is there, and then stops again
        server.advance(100);
        assertEquals(List.of("REPLY 1 OK", "fd bravo"), c.read(), "answered, and no ERROR: the client ended it");
        server.advance(100);
        assertTrue(c.isOpen(), "not before its client has read the last reply");
        c.socket.readAll();
        server.advance(10);
        assertFalse(c.isOpen());
        assertEquals(0, server.stats().errors().values().stream().mapToLong(Long::longValue).sum());
    }

    /**
     * A client that never reads: closed when the linger ends, and the descriptors it has not read are followed
     * through the socket's duplicate, still counted, until it reads them.
     */
    @Test
    void theLingerTimeoutClosesItWhateverItsClientDoesAndItsUnreadDescriptorsAreWatched() throws IOException {
        start(MemoryServer.builder(dir).lingerMillis(2_000));
        Connection c = lingering(1);
        server.advance(1_999);
        assertTrue(c.isOpen());
        server.advance(1);
        assertFalse(c.isOpen());
        assertEquals(1, c.socket.watchesOpen(), "the socket's duplicate follows the descriptors left unread");
        assertEquals(2, server.budget().inFlight(), "still counted: the kernel charges them to the server's user");
        assertEquals(0, server.limits().open(), "no longer a connection open");
        assertEquals(1, server.limits().uidsHolding(), "but its uid's slot is held until they are read");
        assertFalse(c.handler.lease().isGivenBack());

        server.advance(60_000);
        assertEquals(2, server.budget().inFlight(), "its client may take as long as it likes");
        c.socket.readAll(); // it reads them, or closes its end
        server.advance(1_000);
        assertTrue(c.handler.lease().isGivenBack());
        assertEquals(0, c.socket.watchesOpen());
        assertEquals(0, server.budget().inFlight());
        assertEquals(0, server.limits().uidsHolding());
    }

    /**
     * Issue 21, break 1: a connection that closes with descriptors unread when no descriptor is free to watch them
     * (EMFILE in dup) gives its uid's slot back once, so that round after round the uid holds at most its limit.
     */
    @Test
    void aConnectionClosedWithDescriptorsUnreadAndNoDescriptorFreeGivesItsUidSlotBackOnce() throws IOException {
        start(MemoryServer.builder(dir).maxConnections(16, 4).lingerMillis(1_000));
        Connection victim = null;
        for (int i = 0; i < 4; i++) {
            victim = served(1);
        }
        for (int round = 0; round < 3; round++) {
            victim.socket.unread(10);
            victim.send(FdPassRequest.of(0, "a.txt", "b.txt", "c.txt", "d.txt"),
                    FdPassRequest.of(1, "a.txt", "b.txt", "c.txt", "d.txt"));
            assertEquals(10, victim.read().size());
            victim.socket.descriptorFree(false); // other clients fill the server's descriptor table
            victim.send((Object) ZERO_LENGTH_FRAME);
            assertEquals(List.of("ERROR MALFORMED_FRAME"), victim.read());
            server.advance(1_000);
            assertFalse(victim.isOpen(), "the linger timeout closed it");
            assertEquals(0, victim.socket.watchesTaken(), "no descriptor was free for the watch");
            assertTrue(victim.handler.lease().isGivenBack(), "nothing can follow its descriptors: all given back");
            assertEquals(0, server.budget().inFlight());

            victim = served(1);
            assertRefused(server.connect(1), "too many connections: uid 1 has 4 of 4");
            assertEquals(4, server.limits().open(), "round " + round);
        }
    }

    /**
     * Closed by its linger timeout, then again by whoever else closes its channel, its watch ended by the server's
     * close while its client reads: everything counted back once.
     */
    @Test
    void aConnectionClosedTwiceGivesBackOnce() throws IOException {
        start(MemoryServer.builder(dir).maxConnections(16, 2).lingerMillis(1_000));
        Connection twice = lingering(1);
        served(1);
        server.advance(1_000);
        assertFalse(twice.isOpen());
        assertEquals(1, twice.socket.watchesOpen());
        twice.channel.close();
        twice.channel.pipeline().close();
        server.budget().close(); // the server closes: the watches end
        twice.socket.readAll();
        server.advance(2_000);
        assertTrue(twice.handler.lease().isGivenBack());
        assertEquals(0, twice.socket.watchesOpen());
        assertEquals(0, server.budget().inFlight());
        assertEquals(1, server.limits().open());
        served(1);
        assertRefused(server.connect(1), "too many connections: uid 1 has 2 of 2");
    }

    @Test
    void aConnectionOverTheTotalIsRefusedAndCountsNothing() throws IOException {
        start(MemoryServer.builder(dir).maxConnections(2, 2));
        served(1);
        served(2);
        assertRefusedAfterItsClientReads(3, "too many connections: 2 of 2 open");
    }

    @Test
    void aConnectionOverItsUidsLimitIsRefusedAndCountsNothing() throws IOException {
        start(MemoryServer.builder(dir).maxConnections(16, 1));
        served(1);
        assertRefusedAfterItsClientReads(1, "too many connections: uid 1 has 1 of 1");
    }

    @Test
    void aConnectionThePolicyDoesNotAdmitIsRefusedAndCountsNothing() throws IOException {
        start(MemoryServer.builder(dir).policy(AccessPolicy.uids(1)));
        served(1);
        assertRefusedAfterItsClientReads(2, "uid 2 is not served (the access policy refuses it every name)");
    }

    /**
     * A refused connection gets HELLO and ERROR TOO_MANY_CONNECTIONS, nothing of what it sends is read, it closes
     * once its client has read both or after a short linger, and it never counts against anything.
     */
    private void assertRefusedAfterItsClientReads(int uid, String why) {
        int open = server.limits().open();
        int uids = server.limits().uidsHolding();
        long accepted = server.stats().connectionsAccepted();
        MemorySocket socket = new MemorySocket(new Peer(uid, uid, 4242));
        socket.unread(2);
        Connection refused = server.connect(socket);
        assertEquals(List.of("HELLO", "ERROR TOO_MANY_CONNECTIONS"), refused.read());
        assertEquals(why, refused.errorMessage);
        refused.send(FdPassRequest.of(0, "a.txt"));
        server.advance(500);
        assertEquals(List.of(), refused.read(), "nothing it sends is answered");
        assertTrue(refused.isOpen(), "its client has not read the ERROR yet");
        socket.readAll();
        server.advance(10);
        assertFalse(refused.isOpen());
        assertEquals(1, socket.discards());

        MemorySocket another = new MemorySocket(new Peer(uid, uid, 4243));
        another.unread(2);
        Connection neverReads = server.connect(another);
        server.advance(RefusedHandler.LINGER_MILLIS);
        assertFalse(neverReads.isOpen(), "a refused connection lingers a second at most");

        assertEquals(open, server.limits().open());
        assertEquals(uids, server.limits().uidsHolding());
        assertEquals(accepted, server.stats().connectionsAccepted());
        assertEquals(2, server.stats().connectionsRefused());
        assertEquals(2, server.stats().errors(ErrorCode.TOO_MANY_CONNECTIONS));
        assertEquals(0, server.budget().inFlight());
    }

    private static void assertRefused(Connection c, String why) {
        assertEquals(List.of("HELLO", "ERROR TOO_MANY_CONNECTIONS"), c.read());
        assertEquals(why, c.errorMessage);
    }
}
