package io.fdpass.iouring;

import io.fdpass.codec.FdPassClientCodec;
import io.fdpass.codec.FdPassError;
import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassMessage;
import io.fdpass.codec.FdPassReply;
import io.fdpass.codec.FdPassResponseEncoder;
import io.fdpass.codec.ErrorCode;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.FileReads;
import io.fdpass.internal.SocketCalls;
import io.fdpass.testing.Fds;
import io.fdpass.testing.LeakCheck;
import io.fdpass.testing.Sockets;
import io.fdpass.testing.TestSyscalls;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.handler.codec.CorruptedFrameException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Descriptor messages that come after their REPLY, on io_uring, from a server the test plays by hand. Netty 4.2.18's
 * io_uring channel, in its {@code FILE_DESCRIPTORS} read mode, receives with room for one descriptor, looks neither at
 * {@code MSG_CTRUNC} nor at the control message it got, passes on for a message that carried none (or the end of the
 * stream) whatever its control buffer held from before (the last descriptor's number, or 0), and asks for no
 * close-on-exec. So the client's decoder never lets it read descriptors: it waits for them with a poll of its own and
 * takes each with its own {@code recvmsg(2)}. Each test here fails if the decoder left them to the channel.
 *
 * <p>Each test sends a REPLY and waits until the client has passed it on: the decoder has looked for its descriptor
 * messages then, found none, and waits. Then the test sends what a faulty, or closing, server would.
 */
class IoUringDescriptorReceiveTest {
    private static final String COURSES = "Course1\nCourse2\n";
    private static final String CONTACTS = "Contacts\n";
    private static final Object CLOSED = "CLOSED";

    @TempDir
    Path dir;
    private Path root;
    private int baseline;
    private int listening = -1;
    private int server = -1;
    private EventLoopGroup group;
    private Channel client;
    private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();

    @BeforeEach
    void connect() throws Exception {
        root = Files.createDirectory(dir.resolve("root"));
        Files.writeString(root.resolve("courses.txt"), COURSES);
        Files.writeString(root.resolve("contacts.txt"), CONTACTS);
        baseline = Fds.count();
        Path path = dir.resolve("s.sock");
        listening = TestSyscalls.listeningSocket(path.toString());
        group = new MultiThreadIoEventLoopGroup(1, IoUringTransport.INSTANCE.newIoHandlerFactory());
        client = new Bootstrap().group(group).channel(IoUringDomainSocketChannel.class)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new FdPassClientCodec(IoUringTransport.INSTANCE.socket(ch).reader()),
                                new Recorder());
                    }
                })
                .connect(new DomainSocketAddress(path.toString())).sync().channel();
        server = SocketCalls.accept(listening); // connect returned: the connection waits to be accepted
        assertTrue(server >= 0, () -> "accept: " + Errno.strerror(server));
        Sockets.setBlocking(server);
        write(new FdPassHello(64, 65536, 32));
        assertInstanceOf(FdPassHello.class, next());
    }

    @AfterEach
    void close() throws Exception {
        if (client != null) {
            client.close().sync();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        for (Object left; (left = received.poll()) != null; ) {
            if (left instanceof FileDescriptor fd) {
                Descriptors.close(fd.intValue());
            }
        }
        closeServer();
        if (listening >= 0) {
            Descriptors.close(listening);
        }
        Fds.assertBackTo(baseline);
        LeakCheck.assertNoLeaks();
    }

    @Test
    void lateDescriptorMessagesArriveInOrderCloseOnExec() throws Exception {
        replyRead(3);
        sendDescriptorMessage("courses.txt");
        sendDescriptorMessage("contacts.txt");
        sendDescriptorMessage("courses.txt");
        assertReads(COURSES, next(FileDescriptor.class));
        assertReads(CONTACTS, next(FileDescriptor.class));
        assertReads(COURSES, next(FileDescriptor.class));
        // The channel reads again: the next REPLY, whose descriptor message is there with it.
        write(reply(1));
        sendDescriptorMessage("contacts.txt");
        assertEquals(1, next(FdPassReply.class).descriptorCount());
        assertReads(CONTACTS, next(FileDescriptor.class));
    }

    /** In descriptors mode the channel would take one of the two (the kernel closing the other) and pass it on. */
    @Test
    void aLateMessageWithTwoDescriptorsIsAViolationAndLeaksNeither() throws Exception {
        replyRead(1);
        sendDescriptorMessage("courses.txt", "contacts.txt");
        assertViolation("a descriptor message that did not carry exactly one descriptor");
    }

    /**
     * Three descriptors, one more than the decoder's receive has room for: the kernel truncates the control data
     * ({@code MSG_CTRUNC}) and closes the third. In descriptors mode the channel would pass one on.
     */
    @Test
    void aLateMessageWhoseControlDataWasTruncatedIsAViolationAndLeaksNothing() throws Exception {
        replyRead(1);
        sendDescriptorMessage("courses.txt", "contacts.txt", "courses.txt");
        assertViolation("a descriptor message that did not carry exactly one descriptor");
    }

    /** In descriptors mode the channel would pass on its control buffer's last descriptor number, or 0 (stdin). */
    @Test
    void aLateMessageWithNoDescriptorIsAViolation() throws Exception {
        replyRead(1);
        send(new byte[1]);
        assertViolation("a descriptor message that did not carry exactly one descriptor");
    }

    /** As a message with no descriptor: the frame's first byte is read as one, and the connection is over. */
    @Test
    void aFrameWhereADescriptorMessageWasDueIsAViolation() throws Exception {
        replyRead(1);
        write(new FdPassError(ErrorCode.SHUTTING_DOWN, "bye"));
        assertViolation("a descriptor message that did not carry exactly one descriptor");
    }

    /**
     * A server that closes after one of a REPLY's two descriptor messages: the connection ends, and nothing more is
     * passed on. In descriptors mode the channel would pass on, for the end of the stream, the number of the first
     * descriptor again, which its owner may have closed and the process given to another file since.
     */
    @Test
    void aServerThatClosesMidReplyEndsTheConnectionAndPassesOnNoOtherDescriptor() throws Exception {
        replyRead(2);
        sendDescriptorMessage("courses.txt");
        assertReads(COURSES, next(FileDescriptor.class)); // and closed, as its taker may
        closeServer();
        assertSame(CLOSED, next());
    }

    /** What a server sent before it closed is all there: every descriptor, then the end. */
    @Test
    void lateDescriptorsFollowedByTheServersCloseAllArrive() throws Exception {
        replyRead(2);
        sendDescriptorMessage("courses.txt");
        sendDescriptorMessage("contacts.txt");
        closeServer();
        assertReads(COURSES, next(FileDescriptor.class));
        assertReads(CONTACTS, next(FileDescriptor.class));
        assertSame(CLOSED, next());
    }

    /** A buffer ring's multishot receive stays in flight and reads past a frame's end: the reader refuses it. */
    @Test
    void aChannelThatReadsIntoABufferRingIsRefused() {
        IoUringDomainSocketChannel ring = new IoUringDomainSocketChannel();
        try {
            ring.config().setOption(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID, (short) 1);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> IoUringTransport.INSTANCE.socket(ring).reader());
            assertTrue(e.getMessage().contains("reads into buffer ring 1 (IO_URING_BUFFER_GROUP_ID)"), e.getMessage());
        } finally {
            ring.unsafe().closeForcibly();
        }
    }

    /** Sends a REPLY of {@code descriptors} OK entries and waits until the client passed it on. */
    private void replyRead(int descriptors) throws Exception {
        write(reply(descriptors));
        assertEquals(descriptors, next(FdPassReply.class).descriptorCount());
    }

    private static FdPassReply reply(int descriptors) {
        long[] sizes = new long[descriptors];
        Arrays.fill(sizes, 1);
        return new FdPassReply(7, new int[descriptors], sizes);
    }

    private void assertViolation(String message) throws InterruptedException {
        CorruptedFrameException e = next(CorruptedFrameException.class);
        assertEquals(message, e.getMessage());
        closeServer();
        client.close().sync();
        for (Object left; (left = received.poll()) != null; ) {
            if (!(left == CLOSED || left instanceof Throwable)) {
                fail("passed on after the violation: " + left);
            }
        }
    }

    private void write(FdPassMessage frame) {
        ByteBuf bytes = Unpooled.buffer();
        try {
            FdPassResponseEncoder.writeFrame(frame, bytes);
            send(ByteBufUtil.getBytes(bytes));
        } finally {
            bytes.release();
        }
    }

    private void send(byte[] bytes, int... fds) {
        assertEquals(bytes.length, Sockets.send(server, bytes, fds));
    }

    /** One byte with a descriptor of each of {@code names}, in one message. */
    private void sendDescriptorMessage(String... names) throws IOException {
        assertEquals(1, Sockets.sendDescriptorMessage(server, root, names));
    }

    private void closeServer() {
        if (server >= 0) {
            Descriptors.close(server);
            server = -1;
        }
    }

    private Object next() throws InterruptedException {
        Object next = received.poll(10, TimeUnit.SECONDS);
        assertNotNull(next, "nothing received within 10 s");
        return next;
    }

    private <T> T next(Class<T> type) throws InterruptedException {
        Object next = next();
        if (!type.isInstance(next)) {
            fail("expected a " + type.getSimpleName() + ", received " + next);
        }
        return type.cast(next);
    }

    /** Checks that {@code fd} is close-on-exec and reads {@code content}, and closes it. */
    private static void assertReads(String content, FileDescriptor fd) {
        try {
            assertEquals(Descriptors.FD_CLOEXEC, Descriptors.getFdFlags(fd.intValue()) & Descriptors.FD_CLOEXEC,
                    "close-on-exec");
            ByteBuffer bytes = ByteBuffer.allocate(64);
            assertTrue(FileReads.pread(fd.intValue(), bytes, 0) >= 0, "pread");
            assertEquals(content, new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8));
        } finally {
            Descriptors.close(fd.intValue());
        }
    }

    /** Records what the codec passes on, its exceptions, and the end of the connection. */
    private final class Recorder extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            received.add(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            received.add(cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null
                    ? cause.getCause() : cause);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            received.add(CLOSED);
        }
    }
}
