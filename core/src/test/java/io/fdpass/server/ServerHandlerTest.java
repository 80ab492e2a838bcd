package io.fdpass.server;

import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassRequest;
import io.fdpass.server.MemoryServer.Connection;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server handler in memory ({@link MemoryServer}): what it answers, in which order, and how an ERROR, a shutdown
 * and a failed write end a connection.
 */
class ServerHandlerTest extends MemoryServerTest {
    @Test
    void pipelinedRequestsAreAnsweredInOrderEachReplyFollowedByItsDescriptors() throws IOException {
        MemoryServer server = start(MemoryServer.builder(dir));
        Connection c = served(1);
        c.send(FdPassRequest.of(0, "a.txt", "missing.txt", "b.txt"), FdPassRequest.of(1, "c.txt"),
                FdPassRequest.of(2, "missing.txt"), FdPassRequest.of(3, "d.txt", "a.txt"));
        assertEquals(List.of(
                "REPLY 0 OK NOT_FOUND OK", "fd alpha", "fd bravo",
                "REPLY 1 OK", "fd charlie",
                "REPLY 2 NOT_FOUND",
                "REPLY 3 OK OK", "fd delta", "fd alpha"), c.read());
        assertEquals(4, server.stats().requestsAnswered());
        assertEquals(5, server.stats().descriptorsSent());
        assertTrue(c.isOpen() && c.isReading());
    }

    @Test
    void anErrorFollowsTheRepliesToTheRequestsBeforeAFaultyFrameAndNothingAfterIt() throws IOException {
        MemoryServer server = start(MemoryServer.builder(dir));
        Connection c = served(1);
        c.socket.unread(3); // what it was sent stays unread: the connection lingers
        byte[] zeroLength = {0, 0, 0, 0};
        c.send(FdPassRequest.of(0, "a.txt"), FdPassRequest.of(1, "b.txt"), zeroLength, FdPassRequest.of(2, "c.txt"));
        assertEquals(List.of("REPLY 0 OK", "fd alpha", "REPLY 1 OK", "fd bravo", "ERROR MALFORMED_FRAME"), c.read());
        c.send(FdPassRequest.of(3, "d.txt"));
        server.advance(500);
        assertEquals(List.of(), c.read(), "nothing after the ERROR");
        assertTrue(c.isOpen(), "the client has not read it all yet");
        c.socket.readAll();
        server.advance(10);
        assertFalse(c.isOpen(), "closed once the client read everything");
        assertEquals(1, c.socket.discards(), "what the client sent after the ERROR is dropped before the close");
        assertEquals(1, server.stats().errors(ErrorCode.MALFORMED_FRAME));
    }

    /** Requests held back when the faulty frame comes are answered first, once their client reads: then the ERROR. */
    @Test
    void anErrorWaitsForTheRepliesHeldBackBeforeIt() throws IOException {
        MemoryServer server = start(MemoryServer.builder(dir).maxUnreadBytes(SendQueueBound.MESSAGE_COST));
        Connection c = served(1);
        c.socket.unread(10);
        c.send(FdPassRequest.of(0, "a.txt"), FdPassRequest.of(1, "b.txt"), FdPassRequest.of(2, "c.txt"),
                new byte[] {0, 0, 0, 0}, FdPassRequest.of(3, "d.txt"));
        assertEquals(List.of("REPLY 0 OK", "fd alpha"), c.read());
        server.advance(500);
        assertEquals(List.of(), c.read(), "the ERROR waits for the replies due before it");
        c.socket.readAll();
        server.advance(100);
        assertEquals(List.of("REPLY 1 OK", "fd bravo", "REPLY 2 OK", "fd charlie", "ERROR MALFORMED_FRAME"), c.read());
        assertFalse(c.isOpen());
    }

    @Test
    void shutdownAnswersWhatWasReadThenSaysShuttingDown() throws Exception {
        MemoryServer server = start(MemoryServer.builder(dir).maxUnreadBytes(SendQueueBound.MESSAGE_COST));
        Connection c = served(1);
        c.socket.unread(10); // its client reads nothing: the first reply goes, the others wait
        c.send(FdPassRequest.of(0, "a.txt"), FdPassRequest.of(1, "b.txt"), FdPassRequest.of(2, "c.txt"));
        assertEquals(List.of("REPLY 0 OK", "fd alpha"), c.read());

        CompletableFuture<Void> shutDown = server.initializer.shutdownGracefully();
        c.send(FdPassRequest.of(3, "d.txt"));
        server.advance(100);
        assertEquals(List.of(), c.read(), "held back still");
        assertFalse(c.isReading());
        c.socket.readAll();
        server.advance(100);
        assertEquals(List.of("REPLY 1 OK", "fd bravo", "REPLY 2 OK", "fd charlie", "ERROR SHUTTING_DOWN"), c.read(),
                "what was read before the shutdown is answered; what came after is not");
        assertFalse(c.isOpen(), "closed once its client read everything");
        shutDown.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aDescriptorWriteThatFailsAfterItsReplyWasWrittenClosesTheConnectionAtOnce() throws IOException {
        MemoryServer server = start(MemoryServer.builder(dir));
        Connection c = served(1);
        c.socket.unread(5);
        c.channel.failDescriptorWrites(new IOException("sendmsg failed: Broken pipe"));
        c.send(FdPassRequest.of(0, "a.txt", "b.txt"), FdPassRequest.of(1, "c.txt"));
        assertFalse(c.isOpen(), "a REPLY whose descriptors did not follow leaves the connection unusable");
        assertEquals(List.of("REPLY 0 OK OK"), c.read(), "nothing after the REPLY whose descriptors failed");
        assertEquals(0, server.stats().requestsAnswered());
        assertEquals(0, server.stats().descriptorsSent());
    }

    /** Netty shuts the output down rather than close when the write fails with an Error: the server closes. */
    @Test
    void aDescriptorWriteThatShutsTheOutputDownClosesTheConnectionAtOnce() throws IOException {
        MemoryServer server = start(MemoryServer.builder(dir));
        Connection c = served(1);
        c.socket.unread(5);
        c.channel.failDescriptorWrites(new Error("sendFd: the send buffer is full"));
        c.send(FdPassRequest.of(0, "a.txt", "b.txt"), FdPassRequest.of(1, "c.txt"));
        assertFalse(c.isOpen(), "the server closed it");
        assertEquals(1, c.socket.discards(), "closed by the server, which drops what the client sent first");
        assertEquals(List.of("REPLY 0 OK OK"), c.read());
        assertEquals(0, server.stats().requestsAnswered());
    }
}
