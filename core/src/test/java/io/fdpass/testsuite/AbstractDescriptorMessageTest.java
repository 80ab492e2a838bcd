package io.fdpass.testsuite;

import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassRecvByteBufAllocator;
import io.fdpass.codec.FdPassReply;
import io.fdpass.internal.Native;
import io.fdpass.testing.Fds;
import io.fdpass.testing.Sockets;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.CorruptedFrameException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The client's decoder on a real socket that holds a whole answer already, written by hand on the other end of a
 * socket pair: a REPLY and its descriptor messages all there when the channel first reads, which is where the
 * decoder takes the descriptor messages itself (on Linux) rather than switching the channel's read mode.
 */
public abstract class AbstractDescriptorMessageTest extends AbstractFdPassTest {
    private static final FdPassHello HELLO = new FdPassHello(64, 65536, 32);

    @Test
    void descriptorMessagesAlreadyInTheSocketArriveAfterTheirReplyCloseOnExec() throws Exception {
        int baseline = Fds.count();
        int[] pair = Sockets.pair();
        try {
            write(pair[0], HELLO, new FdPassReply(7, new int[] {0, 0},
                    new long[] {COURSES.length(), CONTACTS.length()}));
            sendDescriptorMessage(pair[0], "courses.txt");
            sendDescriptorMessage(pair[0], "contacts.txt");
            try (RawClient raw = RawClient.onConnected(transport(), pair[1])) {
                pair[1] = -1;
                assertEquals(7, raw.next(FdPassReply.class).id());
                assertReads(COURSES, raw.next(FileDescriptor.class));
                assertReads(CONTACTS, raw.next(FileDescriptor.class));
            }
        } finally {
            closeAll(pair);
        }
        Fds.assertBackTo(baseline);
    }

    /**
     * Netty's {@code recvFd} accepts only a message with exactly one descriptor and passes over any other without
     * closing what it carried; the decoder's own receive closes both and calls it a violation.
     */
    @Test
    void aDescriptorMessageCarryingTwoDescriptorsIsAViolationAndLeaksNeither() throws Exception {
        assumeTrue(Native.LINUX, "the decoder receives descriptor messages itself on Linux only");
        int baseline = Fds.count();
        int[] pair = Sockets.pair();
        try {
            write(pair[0], HELLO, new FdPassReply(7, new int[] {0}, new long[] {1}));
            sendDescriptorMessage(pair[0], "courses.txt", "contacts.txt");
            try (RawClient raw = RawClient.onConnected(transport(), pair[1])) {
                pair[1] = -1;
                raw.next(FdPassReply.class);
                CorruptedFrameException e = raw.next(CorruptedFrameException.class);
                assertEquals("a descriptor message that did not carry exactly one descriptor", e.getMessage());
            }
        } finally {
            closeAll(pair);
        }
        Fds.assertBackTo(baseline);
    }

    /**
     * A REPLY whose descriptor messages were not there when it was read leaves the channel reading descriptors. When
     * they arrive in one read event with what follows them and the server's end of stream, the channel's read loop
     * takes at most {@link FdPassRecvByteBufAllocator#DEFAULT_MAX_MESSAGES_PER_READ} of them, and then, for the end of
     * stream, drains the socket in the mode it is in, whatever the allocator says: the next REPLY must not be read
     * as descriptor messages.
     */
    @Test
    void whatFollowsManyDescriptorsTakenInDescriptorsModeSurvivesTheServersClose() throws Exception {
        int baseline = Fds.count();
        int[] pair = Sockets.pair();
        int count = FdPassRecvByteBufAllocator.DEFAULT_MAX_MESSAGES_PER_READ + 4;
        int[] ok = new int[count];
        long[] sizes = new long[count];
        Arrays.fill(sizes, COURSES.length());
        try {
            write(pair[0], HELLO, new FdPassReply(1, ok, sizes));
            try (RawClient raw = RawClient.onConnected(transport(), pair[1])) {
                pair[1] = -1;
                assertEquals(1, raw.next(FdPassReply.class).id());
                assertTrue(raw.isReadingDescriptors(), "no descriptor message was there: the channel waits for them");
                try (RawClient.Hold hold = raw.holdEventLoop()) {
                    for (int i = 0; i < count; i++) {
                        sendDescriptorMessage(pair[0], "courses.txt");
                    }
                    write(pair[0], new FdPassReply(2, new int[] {0}, new long[] {CONTACTS.length()}));
                    sendDescriptorMessage(pair[0], "contacts.txt");
                    Native.close(pair[0]);
                    pair[0] = -1;
                }
                for (int i = 0; i < count; i++) {
                    assertReads(COURSES, raw.next(FileDescriptor.class));
                }
                assertEquals(2, raw.next(FdPassReply.class).id());
                assertReads(CONTACTS, raw.next(FileDescriptor.class));
                assertSame(RawClient.CLOSED, raw.next());
            }
        } finally {
            closeAll(pair);
        }
        Fds.assertBackTo(baseline);
    }

    /**
     * What the decoder reads itself after a reply's last descriptor may end inside a frame: the rest then comes by
     * the channel's own reads, in bytes mode.
     */
    @Test
    void aFrameBehindTheLastDescriptorThatArrivesInPartsIsReadWhole() throws Exception {
        int baseline = Fds.count();
        int[] pair = Sockets.pair();
        try {
            write(pair[0], HELLO, new FdPassReply(1, new int[] {0}, new long[] {COURSES.length()}));
            try (RawClient raw = RawClient.onConnected(transport(), pair[1])) {
                pair[1] = -1;
                assertEquals(1, raw.next(FdPassReply.class).id());
                assertTrue(raw.isReadingDescriptors(), "no descriptor message was there: the channel waits for it");
                byte[] second = TestFrames.responses(new FdPassReply(2, new int[] {0},
                        new long[] {CONTACTS.length()}));
                int split = 7; // inside the body, past the header
                try (RawClient.Hold hold = raw.holdEventLoop()) {
                    sendDescriptorMessage(pair[0], "courses.txt");
                    assertEquals(split, Sockets.send(pair[0], Arrays.copyOf(second, split)));
                }
                assertReads(COURSES, raw.next(FileDescriptor.class));
                // Asked on the event loop, so after the read event that took the descriptor and the first part.
                assertEquals(second.length - split, raw.bytesWanted(), "the decoder took the first part itself");
                byte[] rest = Arrays.copyOfRange(second, split, second.length);
                assertEquals(rest.length, Sockets.send(pair[0], rest));
                sendDescriptorMessage(pair[0], "contacts.txt");
                Native.close(pair[0]);
                pair[0] = -1;
                assertEquals(2, raw.next(FdPassReply.class).id());
                assertReads(CONTACTS, raw.next(FileDescriptor.class));
                assertSame(RawClient.CLOSED, raw.next());
            }
        } finally {
            closeAll(pair);
        }
        Fds.assertBackTo(baseline);
    }

    /** Checks that {@code fd} is close-on-exec and reads {@code content}, and closes it. */
    private static void assertReads(String content, FileDescriptor fd) {
        try {
            assertEquals(Native.FD_CLOEXEC, Native.getFdFlags(fd.intValue()) & Native.FD_CLOEXEC);
            ByteBuffer bytes = ByteBuffer.allocate(64);
            assertTrue(Native.pread(fd.intValue(), bytes, 0) >= 0, "pread");
            assertEquals(content, new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8));
        } finally {
            Native.close(fd.intValue());
        }
    }

    private static void write(int socket, Object... frames) {
        byte[] bytes = TestFrames.responses(frames);
        assertEquals(bytes.length, Sockets.send(socket, bytes));
    }

    /** One byte with a descriptor of each of {@code names} (beneath the root), in one message. */
    private void sendDescriptorMessage(int socket, String... names) throws IOException {
        int[] fds = new int[names.length];
        Arrays.fill(fds, -1);
        try {
            for (int i = 0; i < names.length; i++) {
                fds[i] = Native.openat(Native.AT_FDCWD, root.resolve(names[i]).toString(), Native.O_RDONLY);
                if (fds[i] < 0) {
                    throw new IOException(names[i] + ": " + Native.strerror(fds[i]));
                }
            }
            assertEquals(1, Sockets.send(socket, new byte[1], fds));
        } finally {
            closeAll(fds);
        }
    }

    private static void closeAll(int[] fds) {
        for (int fd : fds) {
            if (fd >= 0) {
                Native.close(fd);
            }
        }
    }
}
