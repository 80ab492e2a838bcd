package io.fdpass.client;

import io.fdpass.FdPassErrorException;
import io.fdpass.FdPassException;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassError;
import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassReply;
import io.fdpass.codec.FdPassRequest;
import io.fdpass.codec.FileStatus;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.Opens;
import io.fdpass.testing.Fds;
import io.fdpass.testing.LeakCheck;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client handler on an {@link EmbeddedChannel}, fed the messages its decoder would pass on (HELLO, REPLY, ERROR,
 * and a real descriptor per OK entry after each REPLY): which request each reply answers, what a broken reply, an
 * ERROR, a timeout and a cancellation do with the requests and the descriptors, and that every descriptor received is
 * closed by whoever ends up owning it.
 */
class ClientHandlerTest {
    private static final long TIMEOUT_MILLIS = 1_000;

    @TempDir
    Path dir;
    private int baselineFds;
    private final ClientCounters stats = new ClientCounters();
    private ClientHandler handler;
    private EmbeddedChannel channel;

    @BeforeEach
    void connect() throws IOException {
        Files.writeString(dir.resolve("a.txt"), "alpha");
        Files.writeString(dir.resolve("b.txt"), "bravo");
        baselineFds = Fds.count();
        handler = new ClientHandler(TIMEOUT_MILLIS, stats,
                (names, reply, descriptors) -> ReceivedReply.of(names, reply, descriptors, stats));
        channel = new EmbeddedChannel(handler);
        channel.freezeTime();
        channel.writeInbound(new FdPassHello(4, 8192, 8));
        assertTrue(handler.hello().isDone());
    }

    @AfterEach
    void everyDescriptorClosed() {
        channel.finishAndReleaseAll();
        assertEquals(0, stats.snapshot().descriptorsHeld(), "received files not closed");
        assertEquals(baselineFds, Fds.count(), "open descriptors");
        LeakCheck.assertNoLeaks();
    }

    /** Sends a request for {@code names} as the client does, and returns what its caller waits on. */
    private CompletableFuture<ReceivedReply> send(int id, String... names) {
        CompletableFuture<ReceivedReply> future = new CompletableFuture<>();
        handler.send(new ClientHandler.Pending(FdPassRequest.of(id, names), List.of(names), future));
        return future;
    }

    /** A real descriptor of {@code name}, as the decoder passes it on after a REPLY. */
    private FileDescriptor descriptor(String name) {
        int fd = Opens.openat(Opens.AT_FDCWD, dir.resolve(name).toString(), Opens.O_RDONLY);
        assertTrue(fd >= 0, () -> name + ": " + Errno.strerror(-fd));
        return new FileDescriptor(fd);
    }

    private static FdPassReply reply(int id, FileStatus... statuses) {
        int[] codes = new int[statuses.length];
        long[] sizes = new long[statuses.length];
        for (int i = 0; i < statuses.length; i++) {
            codes[i] = statuses[i].code();
            sizes[i] = statuses[i] == FileStatus.OK ? 5 : 0;
        }
        return new FdPassReply(id, codes, sizes);
    }

    private static void assertClosed(FileDescriptor fd) {
        assertEquals(-Errno.EBADF, Descriptors.getFdFlags(fd.intValue()), () -> fd + " is still open");
    }

    private static String content(ReceivedReply.Entry entry) throws IOException {
        return new String(entry.file().inputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static Throwable failure(CompletableFuture<?> future) {
        assertTrue(future.isCompletedExceptionally(), () -> future + " did not fail");
        return assertThrows(CompletionException.class, future::join).getCause();
    }

    private List<Object> written() {
        List<Object> out = new ArrayList<>();
        for (Object msg; (msg = channel.readOutbound()) != null; ) {
            out.add(msg);
        }
        return out;
    }

    @Test
    void repliesAnswerTheRequestsInOrderWithADescriptorPerOkEntry() throws IOException {
        CompletableFuture<ReceivedReply> first = send(0, "a.txt", "missing.txt", "b.txt");
        CompletableFuture<ReceivedReply> second = send(1, "missing.txt");
        CompletableFuture<ReceivedReply> third = send(2, "b.txt");
        assertEquals(List.of(FdPassRequest.of(0, "a.txt", "missing.txt", "b.txt"), FdPassRequest.of(1, "missing.txt"),
                FdPassRequest.of(2, "b.txt")), written());

        channel.writeInbound(reply(0, FileStatus.OK, FileStatus.NOT_FOUND, FileStatus.OK), descriptor("a.txt"));
        assertFalse(first.isDone(), "it waits for its second descriptor");
        channel.writeInbound(descriptor("b.txt"), reply(1, FileStatus.NOT_FOUND), reply(2, FileStatus.OK),
                descriptor("b.txt"));
        try (ReceivedReply a = first.join(); ReceivedReply b = second.join(); ReceivedReply c = third.join()) {
            assertEquals("[a.txt OK 5, missing.txt NOT_FOUND, b.txt OK 5]", a.entries().toString());
            assertEquals("alpha", content(a.entry(0)));
            assertEquals("bravo", content(a.entry(2)));
            assertFalse(b.entry(0).isOk());
            assertEquals("bravo", content(c.entry(0)));
            assertEquals(3, stats.snapshot().descriptorsHeld());
        }
        assertEquals(3, stats.snapshot().replies());
    }

    /** Requests sent from a reply's callback, during the read, go out in one flush when the read is done. */
    @Test
    void requestsSentFromAReplysCallbackAreFlushedOnceTheReadIsDone() {
        List<Integer> writtenDuringTheRead = new ArrayList<>();
        CompletableFuture<ReceivedReply> next = new CompletableFuture<>();
        send(0, "missing.txt").thenAccept(reply -> {
            reply.close();
            handler.send(new ClientHandler.Pending(FdPassRequest.of(1, "missing.txt"), List.of("missing.txt"), next));
            writtenDuringTheRead.add(channel.outboundMessages().size());
        });
        assertEquals(1, written().size());
        channel.writeInbound(reply(0, FileStatus.NOT_FOUND));
        assertEquals(List.of(0), writtenDuringTheRead, "not flushed while the read goes on");
        assertEquals(List.of(FdPassRequest.of(1, "missing.txt")), written());
        channel.writeInbound(reply(1, FileStatus.NOT_FOUND));
        next.join().close();
    }

    @Test
    void anErrorFailsEveryUnansweredRequestAndEveryLaterOne() {
        CompletableFuture<ReceivedReply> answered = send(0, "a.txt");
        CompletableFuture<ReceivedReply> second = send(1, "a.txt");
        CompletableFuture<ReceivedReply> third = send(2, "b.txt");
        channel.writeInbound(reply(0, FileStatus.OK), descriptor("a.txt"),
                new FdPassError(ErrorCode.SHUTTING_DOWN, "bye"));
        answered.join().close();
        for (CompletableFuture<ReceivedReply> f : List.of(second, third, send(3, "a.txt"))) {
            FdPassErrorException e = assertInstanceOf(FdPassErrorException.class, failure(f));
            assertEquals(ErrorCode.SHUTTING_DOWN, e.errorCode());
            assertEquals("server sent ERROR SHUTTING_DOWN: bye", e.getMessage());
        }
        assertFalse(channel.isOpen());
        assertEquals(3, stats.snapshot().failures(FdPassClientStats.Failure.SERVER_ERROR));
    }

    @Test
    void aReplyToAnotherRequestIsAProtocolViolationThatClosesTheDescriptorsReceived() {
        CompletableFuture<ReceivedReply> first = send(0, "a.txt", "b.txt");
        CompletableFuture<ReceivedReply> second = send(1, "a.txt");
        FileDescriptor received = descriptor("a.txt");
        channel.writeInbound(reply(0, FileStatus.OK, FileStatus.OK), received, reply(1, FileStatus.OK));
        assertClosed(received);
        for (CompletableFuture<ReceivedReply> f : List.of(first, second)) {
            Throwable e = failure(f);
            assertInstanceOf(FdPassException.class, e);
            assertTrue(e.getMessage().startsWith("protocol violation: "), e::getMessage);
        }
        assertFalse(channel.isOpen());
        assertEquals(2, stats.snapshot().failures(FdPassClientStats.Failure.PROTOCOL_VIOLATION));
    }

    /**
     * A REPLY before the descriptors of the one before it, even one that would answer the request, is a violation:
     * the descriptors received so far are closed. (FdPassResponseDecoder passes no such sequence on.)
     */
    @Test
    void aReplyBeforeThePreviousOnesDescriptorsIsAProtocolViolationThatClosesThoseReceived() {
        CompletableFuture<ReceivedReply> first = send(0, "a.txt", "b.txt");
        FileDescriptor received = descriptor("a.txt");
        channel.writeInbound(reply(0, FileStatus.OK, FileStatus.OK), received,
                reply(0, FileStatus.OK, FileStatus.OK));
        assertClosed(received);
        assertTrue(failure(first).getMessage().startsWith("protocol violation: "), () -> failure(first).getMessage());
        assertFalse(channel.isOpen());
    }

    @Test
    void aReplyWithTheWrongIdOrCountIsAProtocolViolation() {
        CompletableFuture<ReceivedReply> wrongCount = send(0, "a.txt", "b.txt");
        channel.writeInbound(reply(0, FileStatus.NOT_FOUND));
        assertEquals("protocol violation: REPLY(id=0, [NOT_FOUND]) does not answer the oldest unanswered request "
                + FdPassRequest.of(0, "a.txt", "b.txt"), failure(wrongCount).getMessage());
        assertFalse(channel.isOpen());
    }

    @Test
    void aReplyForNoRequestIsAProtocolViolation() {
        channel.writeInbound(reply(7, FileStatus.NOT_FOUND));
        assertFalse(channel.isOpen());
        assertTrue(failure(send(0, "a.txt")).getMessage().endsWith("does not answer any request"));
    }

    /** The decoder failed between a REPLY's descriptors: those received are closed, the requests fail. */
    @Test
    void aDecoderFailureBetweenDescriptorsClosesThoseReceived() {
        CompletableFuture<ReceivedReply> first = send(0, "a.txt", "b.txt");
        FileDescriptor received = descriptor("a.txt");
        channel.writeInbound(reply(0, FileStatus.OK, FileStatus.OK), received);
        channel.pipeline().fireExceptionCaught(new DecoderException("a descriptor message without a descriptor"));
        assertClosed(received);
        assertTrue(failure(first).getMessage().startsWith("protocol violation: "));
    }

    @Test
    void aRequestWithoutAReplyWithinTheTimeoutFailsAndItsLateReplyIsClosed() {
        CompletableFuture<ReceivedReply> late = send(0, "a.txt");
        channel.advanceTimeBy(TIMEOUT_MILLIS / 2, TimeUnit.MILLISECONDS);
        CompletableFuture<ReceivedReply> next = send(1, "b.txt");
        channel.advanceTimeBy(TIMEOUT_MILLIS / 2 - 1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertFalse(late.isDone());
        channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertEquals("no reply within 1000 ms", failure(late).getMessage());
        assertFalse(next.isDone());
        assertEquals(1, stats.snapshot().failures(FdPassClientStats.Failure.TIMEOUT));

        FileDescriptor lateFd = descriptor("a.txt");
        channel.writeInbound(reply(0, FileStatus.OK), lateFd, reply(1, FileStatus.OK), descriptor("b.txt"));
        assertClosed(lateFd);
        assertTrue(channel.isOpen(), "a late reply keeps its place in line");
        next.join().close();
    }

    @Test
    void aReplyToACancelledRequestIsClosed() throws IOException {
        CompletableFuture<ReceivedReply> cancelled = send(0, "a.txt");
        CompletableFuture<ReceivedReply> next = send(1, "b.txt");
        assertTrue(cancelled.cancel(true));
        FileDescriptor unwanted = descriptor("a.txt");
        channel.writeInbound(reply(0, FileStatus.OK), unwanted, reply(1, FileStatus.OK), descriptor("b.txt"));
        assertClosed(unwanted);
        try (ReceivedReply reply = next.join()) {
            assertEquals("bravo", content(reply.entry(0)));
        }
    }

    @Test
    void anErrorRightBehindHelloFailsTheConnectAndSaysWhy() {
        ClientHandler refused = new ClientHandler(0, stats, (names, reply, descriptors) -> {
            throw new AssertionError("no reply expected");
        });
        EmbeddedChannel ch = new EmbeddedChannel(refused);
        ch.writeInbound(new FdPassHello(4, 8192, 8),
                new FdPassError(ErrorCode.TOO_MANY_CONNECTIONS, "too many connections: 2 of 2 open"));
        FdPassErrorException e = assertInstanceOf(FdPassErrorException.class, failure(refused.hello()));
        assertEquals(ErrorCode.TOO_MANY_CONNECTIONS, e.errorCode());
        assertEquals(e, refused.refusal());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void aConnectionClosedWithRequestsUnansweredFailsThem() {
        CompletableFuture<ReceivedReply> first = send(0, "a.txt");
        CompletableFuture<ReceivedReply> second = send(1, "a.txt");
        channel.close();
        for (CompletableFuture<ReceivedReply> f : List.of(first, second)) {
            assertEquals("connection closed with 2 request(s) unanswered", failure(f).getMessage());
        }
        assertNull(handler.refusal());
        assertEquals(2, stats.snapshot().failures(FdPassClientStats.Failure.CONNECTION_CLOSED));
    }
}
