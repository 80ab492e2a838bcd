package io.fdpass.testsuite;

import io.fdpass.codec.FdPassHello;
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
                for (String content : new String[] {COURSES, CONTACTS}) {
                    FileDescriptor fd = raw.next(FileDescriptor.class);
                    try {
                        assertEquals(Native.FD_CLOEXEC, Native.getFdFlags(fd.intValue()) & Native.FD_CLOEXEC);
                        ByteBuffer bytes = ByteBuffer.allocate(64);
                        assertTrue(Native.pread(fd.intValue(), bytes, 0) >= 0, "pread");
                        assertEquals(content, new String(bytes.array(), 0, bytes.position(),
                                StandardCharsets.UTF_8));
                    } finally {
                        Native.close(fd.intValue());
                    }
                }
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
