package io.fdpass.testsuite;

import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassRecvByteBufAllocator;
import io.fdpass.codec.FdPassReply;
import io.fdpass.codec.FdPassResponseDecoder;
import io.fdpass.codec.FdPassResponseEncoder;
import io.fdpass.internal.Native;
import io.fdpass.testing.Fds;
import io.fdpass.testing.Sockets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.CorruptedFrameException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The client's decoder on a real socket that holds a whole answer already, written by hand on the other end of a
 * socket pair: a REPLY and its descriptor messages all there when the channel first reads, which is where the
 * decoder takes the descriptor messages itself (on Linux) rather than switching the channel's read mode.
 */
public abstract class AbstractDescriptorMessageTest extends AbstractFdPassTest {

    @Test
    void descriptorMessagesAlreadyInTheSocketArriveAfterTheirReplyCloseOnExec() throws Exception {
        int baseline = Fds.count();
        int[] pair = Sockets.pair();
        try {
            int courses = Native.openat(Native.AT_FDCWD, root.resolve("courses.txt").toString(), Native.O_RDONLY);
            int contacts = Native.openat(Native.AT_FDCWD, root.resolve("contacts.txt").toString(), Native.O_RDONLY);
            try {
                write(pair[0], new FdPassHello(64, 65536, 32), new FdPassReply(7, new int[] {0, 0},
                        new long[] {COURSES.length(), CONTACTS.length()}));
                assertEquals(1, Sockets.send(pair[0], new byte[1], courses));
                assertEquals(1, Sockets.send(pair[0], new byte[1], contacts));
            } finally {
                Native.close(courses);
                Native.close(contacts);
            }
            try (Decoding decoding = new Decoding(pair[1])) {
                pair[1] = -1; // the channel's now
                decoding.next(FdPassHello.class);
                assertEquals(7, decoding.next(FdPassReply.class).id());
                for (String content : new String[] {COURSES, CONTACTS}) {
                    FileDescriptor fd = decoding.next(FileDescriptor.class);
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
            closeBoth(pair);
        }
        Fds.assertBackTo(baseline);
    }

    /**
     * Netty's {@code recvFd} has room for one descriptor and does not look at MSG_CTRUNC, so a message with two
     * loses the second unseen; the decoder's own receive sees both, closes both, and calls it a violation.
     */
    @Test
    void aDescriptorMessageCarryingTwoDescriptorsIsAViolationAndLeaksNeither() throws Exception {
        assumeTrue(Native.LINUX, "the decoder receives descriptor messages itself on Linux only");
        int baseline = Fds.count();
        int[] pair = Sockets.pair();
        try {
            int a = Native.openat(Native.AT_FDCWD, root.resolve("courses.txt").toString(), Native.O_RDONLY);
            int b = Native.openat(Native.AT_FDCWD, root.resolve("contacts.txt").toString(), Native.O_RDONLY);
            try {
                write(pair[0], new FdPassHello(64, 65536, 32), new FdPassReply(7, new int[] {0}, new long[] {1}));
                assertEquals(1, Sockets.send(pair[0], new byte[1], a, b));
            } finally {
                Native.close(a);
                Native.close(b);
            }
            try (Decoding decoding = new Decoding(pair[1])) {
                pair[1] = -1;
                decoding.next(FdPassHello.class);
                decoding.next(FdPassReply.class);
                CorruptedFrameException e = decoding.next(CorruptedFrameException.class);
                assertEquals("a descriptor message that did not carry exactly one descriptor", e.getMessage());
            }
        } finally {
            closeBoth(pair);
        }
        Fds.assertBackTo(baseline);
    }

    private static void write(int socket, Object... frames) {
        EmbeddedChannel encoder = new EmbeddedChannel(FdPassResponseEncoder.INSTANCE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object frame : frames) {
            encoder.writeOutbound(frame);
            ByteBuf bytes = encoder.readOutbound();
            out.writeBytes(ByteBufUtil.getBytes(bytes));
            bytes.release();
        }
        assertFalse(encoder.finishAndReleaseAll());
        assertEquals(out.size(), Sockets.send(socket, out.toByteArray()));
    }

    private static void closeBoth(int[] pair) {
        for (int fd : pair) {
            if (fd >= 0) {
                Native.close(fd);
            }
        }
    }

    /** A channel of the transport under test on an existing socket, with the client's decoder and a recorder. */
    private final class Decoding implements AutoCloseable {
        private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, transport().newIoHandlerFactory());
        private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        private final Channel channel;

        Decoding(int socket) throws Exception {
            Sockets.setNonBlocking(socket);
            channel = transport().channelClass().getConstructor(int.class).newInstance(socket);
            FdPassResponseDecoder decoder = new FdPassResponseDecoder();
            channel.config().setRecvByteBufAllocator(new FdPassRecvByteBufAllocator(decoder));
            channel.pipeline().addLast(decoder, new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    received.add(msg);
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    received.add(cause);
                }
            });
            group.register(channel).sync();
        }

        <T> T next(Class<T> type) throws InterruptedException {
            Object next = received.poll(10, TimeUnit.SECONDS);
            assertNotNull(next, "nothing received within 10 s");
            return assertInstanceOf(type, next);
        }

        @Override
        public void close() throws Exception {
            channel.close().sync();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            Object left;
            while ((left = received.poll()) != null) {
                if (left instanceof FileDescriptor fd) {
                    Native.close(fd.intValue());
                }
            }
        }
    }
}
