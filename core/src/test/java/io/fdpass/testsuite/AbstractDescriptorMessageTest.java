package io.fdpass.testsuite;

import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassReply;
import io.fdpass.codec.FdPassResponseDecoder;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.FileReads;
import io.fdpass.internal.Platform;
import io.fdpass.internal.SocketCalls;
import io.fdpass.testing.Fds;
import io.fdpass.testing.Sockets;
import io.fdpass.testing.TestFrames;
import io.fdpass.testing.TestSyscalls;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.CorruptedFrameException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The client's decoder on a real socket whose other end the test writes by hand (a connection it accepts itself):
 * descriptor messages that are there when their REPLY is read, which the decoder takes itself (on Linux) rather than
 * switching the channel's read mode; a faulty one; and those that come later, which a readiness transport's channel
 * takes in descriptors mode (the decoder then reads the frames behind them itself), and which the decoder waits for
 * and takes itself on a transport that keeps a receive in flight.
 */
public abstract class AbstractDescriptorMessageTest extends AbstractFdPassTest {
    private static final FdPassHello HELLO = new FdPassHello(64, 65536, 32);

    @Test
    void descriptorMessagesAlreadyInTheSocketArriveAfterTheirReplyCloseOnExec() throws Exception {
        onSocketPair(server -> {
            server.write(new FdPassReply(7, new int[] {0, 0}, new long[] {COURSES.length(), CONTACTS.length()}));
            server.sendDescriptorMessage("courses.txt");
            server.sendDescriptorMessage("contacts.txt");
        }, (server, raw) -> {
            assertEquals(7, raw.next(FdPassReply.class).id());
            assertReads(COURSES, raw.next(FileDescriptor.class));
            assertReads(CONTACTS, raw.next(FileDescriptor.class));
        });
    }

    /**
     * Netty's {@code recvFd} accepts only a message with exactly one descriptor and passes over any other without
     * closing what it carried; the decoder's own receive closes both and calls it a violation.
     */
    @Test
    void aDescriptorMessageCarryingTwoDescriptorsIsAViolationAndLeaksNeither() throws Exception {
        assumeTrue(Platform.LINUX, "the decoder receives descriptor messages itself on Linux only");
        onSocketPair(server -> {
            server.write(new FdPassReply(7, new int[] {0}, new long[] {1}));
            server.sendDescriptorMessage("courses.txt", "contacts.txt");
        }, (server, raw) -> {
            raw.next(FdPassReply.class);
            CorruptedFrameException e = raw.next(CorruptedFrameException.class);
            assertEquals("a descriptor message that did not carry exactly one descriptor", e.getMessage());
        });
    }

    /**
     * A REPLY whose descriptor messages were not there when it was read leaves the channel reading descriptors. When
     * they arrive in one read event with what follows them and the server's end of stream, the channel's read loop
     * takes at most {@link FdPassResponseDecoder#MAX_MESSAGES_PER_READ} of them, and then, for the end of
     * stream, drains the socket in the mode it is in, whatever the allocator says: the next REPLY must not be read
     * as descriptor messages.
     */
    @Test
    void whatFollowsManyDescriptorsTakenInDescriptorsModeSurvivesTheServersClose() throws Exception {
        int count = FdPassResponseDecoder.MAX_MESSAGES_PER_READ + 4;
        long[] sizes = new long[count];
        Arrays.fill(sizes, COURSES.length());
        onSocketPair(server -> server.write(new FdPassReply(1, new int[count], sizes)), (server, raw) -> {
            assertEquals(1, raw.next(FdPassReply.class).id());
            assertTrue(raw.isReadingDescriptors(), "no descriptor message was there: the channel waits for them");
            try (RawClient.Hold hold = raw.holdEventLoop()) {
                for (int i = 0; i < count; i++) {
                    server.sendDescriptorMessage("courses.txt");
                }
                server.write(new FdPassReply(2, new int[] {0}, new long[] {CONTACTS.length()}));
                server.sendDescriptorMessage("contacts.txt");
                server.close();
            }
            for (int i = 0; i < count; i++) {
                assertReads(COURSES, raw.next(FileDescriptor.class));
            }
            assertEquals(2, raw.next(FdPassReply.class).id());
            assertReads(CONTACTS, raw.next(FileDescriptor.class));
            assertSame(RawClient.CLOSED, raw.next());
        });
    }

    /**
     * What the decoder reads itself after a reply's last descriptor may end inside a frame: the rest then comes by
     * the channel's own reads, in bytes mode.
     */
    @Test
    void aFrameBehindTheLastDescriptorThatArrivesInPartsIsReadWhole() throws Exception {
        byte[] second = TestFrames.responses(new FdPassReply(2, new int[] {0}, new long[] {CONTACTS.length()}));
        int split = 7; // inside the body, past the header
        onSocketPair(server -> server.write(new FdPassReply(1, new int[] {0}, new long[] {COURSES.length()})),
                (server, raw) -> {
                    assertEquals(1, raw.next(FdPassReply.class).id());
                    assertTrue(raw.isReadingDescriptors(), "no descriptor message was there: the channel waits");
                    try (RawClient.Hold hold = raw.holdEventLoop()) {
                        server.sendDescriptorMessage("courses.txt");
                        server.send(Arrays.copyOf(second, split));
                    }
                    assertReads(COURSES, raw.next(FileDescriptor.class));
                    if (raw.readerReadsBytes()) {
                        // Asked on the event loop, so after the read event that took the descriptor and the first
                        // part. (Where the reader reads no bytes, the channel reads the first part after the wait.)
                        assertEquals(second.length - split, raw.bytesWanted(), "the decoder took the first part itself");
                    }
                    server.send(Arrays.copyOfRange(second, split, second.length));
                    server.sendDescriptorMessage("contacts.txt");
                    server.close();
                    assertEquals(2, raw.next(FdPassReply.class).id());
                    assertReads(CONTACTS, raw.next(FileDescriptor.class));
                    assertSame(RawClient.CLOSED, raw.next());
                });
    }

    /**
     * Replies cut at random points, their descriptor messages, and the end of stream, arriving while the client reads
     * or all at once (its event loop held meanwhile), and now and then a REPLY that the client has read before its
     * descriptor messages come: every REPLY and every descriptor arrives, in order, whichever way the decoder takes
     * them (its own receive, descriptors mode, its own reads after that). Half the seeds tell the decoder the replies
     * due, as the client codec does, so that it reads each REPLY whole.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void repliesCutAtRandomArriveWholeWhateverTheClientsReadsSee(long seed) throws Exception {
        Random random = new Random(seed);
        int replies = 40;
        int[] counts = new int[replies];
        int perRead = FdPassResponseDecoder.MAX_MESSAGES_PER_READ;
        for (int i = 0; i < replies; i++) {
            counts[i] = 1 + random.nextInt(2 * perRead);
        }
        // In half the seeds, the end of whatFollowsManyDescriptorsTakenInDescriptorsModeSurvivesTheServersClose: the
        // next to last REPLY read alone, then more descriptors than one read takes, the last reply and the end of
        // stream, all in one read event.
        int heldFrom = random.nextBoolean() ? replies - 2 : replies;
        if (heldFrom < replies) {
            counts[heldFrom] = perRead + 1 + random.nextInt(perRead);
        }
        onSocketPair(server -> { }, (server, raw) -> {
            if (seed % 2 == 0) {
                raw.expectReplies(counts);
            }
            ArrayDeque<Object> due = new ArrayDeque<>(); // what the client must pass on: a REPLY's id, a file's content
            RawClient.Hold hold = null;
            int held = 0; // messages written while the loop is held: the socket's buffer must not fill
            for (int i = 0; i < replies; i++) {
                int[] ok = new int[counts[i]];
                long[] sizes = new long[counts[i]];
                String name = i % 2 == 0 ? "courses.txt" : "contacts.txt";
                String content = i % 2 == 0 ? COURSES : CONTACTS;
                Arrays.fill(sizes, content.length());
                byte[] reply = TestFrames.responses(new FdPassReply(i, ok, sizes));
                due.add(i);
                if (i == heldFrom && hold != null) {
                    hold.close();
                    hold = null;
                    held = 0;
                }
                if (hold == null && (i == heldFrom || random.nextInt(4) == 0)) {
                    server.send(reply);
                    takeDue(raw, due); // read by the client, which now waits for its descriptor messages
                } else {
                    int cut = random.nextInt(reply.length);
                    for (byte[] part : cut == 0 ? new byte[][] {reply}
                            : new byte[][] {Arrays.copyOf(reply, cut), Arrays.copyOfRange(reply, cut, reply.length)}) {
                        if (hold == null && random.nextInt(4) == 0) {
                            hold = raw.holdEventLoop();
                        }
                        server.send(part);
                        held += hold != null ? 1 : 0;
                    }
                }
                for (int d = 0; d < counts[i]; d++) {
                    if (hold == null && (i >= heldFrom || random.nextInt(8) == 0)) {
                        hold = raw.holdEventLoop();
                    }
                    server.sendDescriptorMessage(name);
                    due.add(content);
                    if (hold != null && (++held > 100 || i < heldFrom && random.nextInt(8) == 0)) {
                        hold.close();
                        hold = null;
                        held = 0;
                    }
                }
            }
            server.close();
            if (hold != null) {
                hold.close();
            }
            takeDue(raw, due);
            assertSame(RawClient.CLOSED, raw.next());
        });
    }

    /** Takes from {@code raw} what is {@code due}, in order, and checks it. */
    private static void takeDue(RawClient raw, ArrayDeque<Object> due) throws InterruptedException {
        for (Object next; (next = due.poll()) != null; ) {
            if (next instanceof Integer id) {
                assertEquals(id, raw.next(FdPassReply.class).id());
            } else {
                assertReads((String) next, raw.next(FileDescriptor.class));
            }
        }
    }

    /**
     * Connects a client to a socket of the test's, whose connection the test accepts and writes by hand: HELLO and
     * what {@code before} writes are in the client's socket when it first reads. Runs {@code exchange}, and checks
     * that no descriptor is left open once both ends are closed.
     */
    private void onSocketPair(Before before, Exchange exchange) throws Exception {
        int baseline = Fds.count();
        Path path = dir.resolve("pair.sock");
        int listening = TestSyscalls.listeningSocket(path.toString());
        ServerEnd[] server = new ServerEnd[1];
        try {
            try (RawClient raw = new RawClient(transport(), path, () -> {
                int accepted = SocketCalls.accept(listening); // the client's connect returned: it is waiting
                assertTrue(accepted >= 0, () -> "accept: " + Errno.strerror(accepted));
                server[0] = new ServerEnd(accepted);
                server[0].write(HELLO);
                before.write(server[0]);
            })) {
                exchange.run(server[0], raw);
            }
        } finally {
            if (server[0] != null) {
                server[0].close();
            }
            Descriptors.close(listening);
        }
        Fds.assertBackTo(baseline);
    }

    @FunctionalInterface
    private interface Before {
        void write(ServerEnd server) throws Exception;
    }

    @FunctionalInterface
    private interface Exchange {
        void run(ServerEnd server, RawClient client) throws Exception;
    }

    /** The server's end of the pair, written by hand. */
    private final class ServerEnd {
        private int fd;

        ServerEnd(int fd) {
            this.fd = fd;
            Sockets.setBlocking(fd); // as a peer that writes without looking
        }

        void write(Object... frames) {
            send(TestFrames.responses(frames));
        }

        void send(byte[] bytes) {
            assertEquals(bytes.length, Sockets.send(fd, bytes));
        }

        /** One byte with a descriptor of each of {@code names} (beneath the root), in one message. */
        void sendDescriptorMessage(String... names) throws IOException {
            assertEquals(1, Sockets.sendDescriptorMessage(fd, root, names));
        }

        /** Closes this end: the client sees the end of stream. */
        void close() {
            if (fd >= 0) {
                Descriptors.close(fd);
                fd = -1;
            }
        }
    }

    /** Checks that {@code fd} is close-on-exec and reads {@code content}, and closes it. */
    private static void assertReads(String content, FileDescriptor fd) {
        try {
            assertEquals(Descriptors.FD_CLOEXEC, Descriptors.getFdFlags(fd.intValue()) & Descriptors.FD_CLOEXEC);
            ByteBuffer bytes = ByteBuffer.allocate(64);
            assertTrue(FileReads.pread(fd.intValue(), bytes, 0) >= 0, "pread");
            assertEquals(content, new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8));
        } finally {
            Descriptors.close(fd.intValue());
        }
    }
}
