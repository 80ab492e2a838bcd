package io.fdpass.testsuite;

import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassRequestEncoder;
import io.fdpass.codec.FdPassResponseDecoder;
import io.fdpass.codec.FdPassSocketReader;
import io.fdpass.spi.FdPassTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannel;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A client that writes raw bytes and records every frame, descriptor and event the client codec makes of the
 * server's answer: for tests of what goes over the wire, faulty frames included.
 */
final class RawClient implements AutoCloseable {
    /** Recorded when the connection closes. */
    static final Object CLOSED = "CLOSED";

    private final EventLoopGroup group;
    private final Channel channel;
    private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    private volatile long descriptorPaceMillis = -1;
    private volatile FdPassResponseDecoder decoder;
    private volatile FdPassSocketReader reader;

    RawClient(FdPassTransport transport, Path socket) throws Exception {
        this(transport, socket, () -> { });
    }

    /**
     * A client that connects to {@code socket} and reads nothing until {@code serverEnd} has run: a test that listens
     * there accepts the connection in it (connect returned: the connection waits to be accepted), and writes what
     * the client must find in its socket when it first reads, HELLO first.
     */
    RawClient(FdPassTransport transport, Path socket, ServerEnd serverEnd) throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, transport.newIoHandlerFactory());
        try {
            channel = connect(transport, socket);
            serverEnd.run();
            channel.config().setAutoRead(true);
            assertInstanceOf(FdPassHello.class, next());
        } catch (Exception | AssertionError e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            throw e;
        }
    }

    private Channel connect(FdPassTransport transport, Path socket) throws InterruptedException {
        return new Bootstrap().group(group).channel(transport.channelClass())
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        FdPassSocketReader reader = transport.socket(ch).reader();
                        RawClient.this.reader = reader;
                        FdPassResponseDecoder decoder = new FdPassResponseDecoder(reader);
                        RawClient.this.decoder = decoder;
                        ch.config().setRecvByteBufAllocator(decoder.newRecvByteBufAllocator());
                        ch.pipeline().addLast(decoder, FdPassRequestEncoder.INSTANCE);
                        // Behind the decoder, as in FdPassClientCodec: the read it asks for when it lets go passes.
                        ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
                            @Override
                            public void read(ChannelHandlerContext ctx) {
                                if (!decoder.holdsRead()) {
                                    ctx.read();
                                }
                            }
                        });
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                received.add(msg);
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                received.add(cause);
                            }

                            @Override
                            public void channelReadComplete(ChannelHandlerContext ctx) {
                                if (descriptorPaceMillis >= 0) {
                                    // One read per read event while not auto-reading: pace the descriptors only.
                                    if (decoder.isReadingDescriptors()) {
                                        ctx.executor().schedule(() -> ctx.read(), descriptorPaceMillis,
                                                TimeUnit.MILLISECONDS);
                                    } else {
                                        ctx.read();
                                    }
                                }
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                received.add(CLOSED);
                            }
                        });
                    }
                })
                .connect(new DomainSocketAddress(socket.toString())).sync().channel();
    }

    /** What a test does at the server's end of a connection before its client reads. */
    @FunctionalInterface
    interface ServerEnd {
        void run() throws Exception;
    }

    /** Writes bytes given in hex, spaces allowed. */
    void writeHex(String hex) {
        write(HexFormat.of().parseHex(hex.replace(" ", "").replace("\n", "")));
    }

    void write(byte[] bytes) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(bytes)).syncUninterruptibly();
    }

    /** Writes without waiting for the kernel to take it: for clients that write more than the server reads. */
    void writeLater(byte[] bytes) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(bytes));
    }

    /** Writes {@code bytes} one at a time, one every {@code millis}, from the client's event loop: a slow peer. */
    void trickle(byte[] bytes, long millis) {
        for (int i = 0; i < bytes.length; i++) {
            byte[] one = {bytes[i]};
            channel.eventLoop().schedule(() -> {
                if (channel.isActive()) {
                    channel.writeAndFlush(Unpooled.wrappedBuffer(one));
                }
            }, millis * (i + 1), TimeUnit.MILLISECONDS);
        }
    }

    /** Stops reading: what the server sends stays in the socket. */
    void stopReading() {
        channel.config().setAutoRead(false);
    }

    /** Reads at full speed again. */
    void resumeReading() {
        channel.config().setAutoRead(true);
    }

    /** Reads frames at once but each descriptor message only {@code millis} after the previous read. */
    void readDescriptorsEvery(long millis) {
        descriptorPaceMillis = millis;
        channel.config().setAutoRead(false);
        channel.read();
    }

    /** Whether everything written has gone to the kernel; false while the server does not read. */
    boolean allWritten() throws InterruptedException {
        return channel.eventLoop().submit(() -> channel.unsafe().outboundBuffer() == null
                || channel.unsafe().outboundBuffer().totalPendingWriteBytes() == 0).sync().getNow();
    }

    /** Ends the stream (half-close): what a client does that sent its last request. */
    void shutdownOutput() {
        ((io.netty.channel.unix.DomainSocketChannel) channel).shutdownOutput().syncUninterruptibly();
    }

    /** The next thing received, waiting at most 10 s. */
    Object next() throws InterruptedException {
        Object next = received.poll(10, TimeUnit.SECONDS);
        assertNotNull(next, "nothing received within 10 s");
        return next;
    }

    <T> T next(Class<T> type) throws InterruptedException {
        Object next = next();
        if (!type.isInstance(next)) {
            fail("expected a " + type.getSimpleName() + ", received " + next);
        }
        return type.cast(next);
    }

    /** Whether the decoder waits for descriptor messages (asked on the event loop). */
    boolean isReadingDescriptors() throws InterruptedException {
        return channel.eventLoop().submit(decoder::isReadingDescriptors).sync().getNow();
    }

    /** Tells the decoder of requests sent (of these name counts), as the client codec does for those it writes. */
    void expectReplies(int... counts) throws InterruptedException {
        channel.eventLoop().submit(() -> {
            for (int count : counts) {
                decoder.replyExpected(count);
            }
        }).sync();
    }

    /** Whether the decoder's reader reads bytes itself: a readiness transport's does, on its platform. */
    boolean readerReadsBytes() {
        return reader.readsBytes();
    }

    /** How many bytes the decoder reads next (asked on the event loop). */
    int bytesWanted() throws InterruptedException {
        return channel.eventLoop().submit(decoder::bytesWanted).sync().getNow();
    }

    /**
     * The client's event loop held in a task of its own: what arrives until {@link Hold#close()} is read at once. At
     * most 10 s, as {@link #next()} waits, so that a test that fails while holding it ends all the same.
     */
    Hold holdEventLoop() throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch released = new CountDownLatch(1);
        channel.eventLoop().execute(() -> {
            held.countDown();
            try {
                released.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        held.await();
        return released::countDown;
    }

    interface Hold extends AutoCloseable {
        @Override
        void close();
    }

    int socketFd() {
        return ((UnixChannel) channel).fd().intValue();
    }

    @Override
    public void close() throws Exception {
        channel.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        Object left;
        while ((left = received.poll()) != null) {
            if (left instanceof FileDescriptor fd) {
                fd.close();
            }
        }
    }
}
