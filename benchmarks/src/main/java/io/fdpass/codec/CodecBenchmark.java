package io.fdpass.codec;

import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.Opens;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.unix.FileDescriptor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The codec, one frame per operation, without the pipeline around it: what each side spends per message. Run with
 * {@code -prof gc}: {@code gc.alloc.rate.norm} is the heap allocated per frame.
 *
 * <ul>
 * <li>{@code requestEncode}, client: a REQUEST into a reused buffer.</li>
 * <li>{@code requestDecode}, server: a REQUEST frame into an {@link FdPassRequest} (the names copied out).</li>
 * <li>{@code replyEncode}, server: a REPLY into a reused buffer.</li>
 * <li>{@code replyDecode}, client: a REPLY frame into an {@link FdPassReply}, then its descriptors, one per name
 * (all OK): the decoder switches the read mode twice and checks each descriptor close-on-exec with
 * {@code fcntl(F_GETFD)}, a system call, as on a real connection.</li>
 * <li>{@code replyDecodeFrame}, client: the frame alone (every entry NOT_FOUND, so no descriptors follow).</li>
 * </ul>
 *
 * Names cycle through {@code courses.txt}, {@code campusinfo.txt}, {@code contacts.txt}, as in compare.sh.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class CodecBenchmark {
    private static final String[] NAMES = {"courses.txt", "campusinfo.txt", "contacts.txt"};
    private static final long[] SIZES = {16, 15, 9};

    @Param({"1", "3", "64"})
    int names;

    private FdPassRequest request;
    private FdPassReply reply;
    private ByteBuf requestFrame;
    private ByteBuf replyFrame;
    private ByteBuf failedReplyFrame;
    private ByteBuf out;
    private final List<Object> decoded = new ArrayList<>();
    private FdPassRequestDecoder requestDecoder;
    private FdPassResponseDecoder responseDecoder;
    private EmbeddedChannel clientChannel;
    private ChannelHandlerContext clientCtx;
    private FileDescriptor[] descriptors;
    private int devNull = -1;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        String[] requested = new String[names];
        byte[] statuses = new byte[names];
        long[] sizes = new long[names];
        for (int i = 0; i < names; i++) {
            requested[i] = NAMES[i % NAMES.length];
            sizes[i] = SIZES[i % SIZES.length];
        }
        request = FdPassRequest.of(7, requested);
        reply = new FdPassReply(7, statuses, sizes);
        out = Unpooled.directBuffer(64 * 1024);
        requestFrame = Unpooled.directBuffer(64 * 1024);
        FdPassRequestEncoder.INSTANCE.encode(null, request, requestFrame);
        replyFrame = Unpooled.directBuffer(64 * 1024);
        FdPassResponseEncoder.INSTANCE.encode(null, reply, replyFrame);
        byte[] notFound = new byte[names];
        java.util.Arrays.fill(notFound, (byte) 1);
        failedReplyFrame = Unpooled.directBuffer(64 * 1024);
        FdPassResponseEncoder.INSTANCE.encode(null, new FdPassReply(7, notFound, new long[names]), failedReplyFrame);

        requestDecoder = new FdPassRequestDecoder();
        responseDecoder = new FdPassResponseDecoder();
        // A context for the client decoder (it switches the channel's read mode, which an embedded channel ignores)
        // and a sink after it for the descriptors it passes on.
        clientChannel = new EmbeddedChannel(responseDecoder, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
            }
        });
        clientCtx = clientChannel.pipeline().context(responseDecoder);
        ByteBuf hello = Unpooled.buffer();
        FdPassResponseEncoder.INSTANCE.encode(null, new FdPassHello(64, 65536, 32), hello);
        responseDecoder.decode(clientCtx, hello, decoded);
        decoded.clear();
        devNull = Opens.openat(Opens.AT_FDCWD, "/dev/null", Opens.O_RDONLY | Opens.O_CLOEXEC);
        if (devNull < 0) {
            throw new IllegalStateException("/dev/null: " + Errno.strerror(-devNull));
        }
        descriptors = new FileDescriptor[names];
        for (int i = 0; i < names; i++) {
            descriptors[i] = new FileDescriptor(devNull);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        clientChannel.finishAndReleaseAll();
        if (devNull >= 0) {
            Descriptors.close(devNull);
        }
        out.release();
        requestFrame.release();
        replyFrame.release();
        failedReplyFrame.release();
    }

    @Benchmark
    public int requestEncode() {
        out.clear();
        FdPassRequestEncoder.INSTANCE.encode(null, request, out);
        return out.writerIndex();
    }

    @Benchmark
    public Object requestDecode() {
        requestFrame.readerIndex(0);
        decoded.clear();
        requestDecoder.decode(null, requestFrame, decoded);
        return decoded.get(0);
    }

    @Benchmark
    public int replyEncode() {
        out.clear();
        FdPassResponseEncoder.INSTANCE.encode(null, reply, out);
        return out.writerIndex();
    }

    @Benchmark
    public void replyDecode(Blackhole bh) throws Exception {
        replyFrame.readerIndex(0);
        decoded.clear();
        responseDecoder.decode(clientCtx, replyFrame, decoded);
        bh.consume(decoded.get(0));
        for (FileDescriptor fd : descriptors) {
            responseDecoder.channelRead(clientCtx, fd);
        }
    }

    @Benchmark
    public Object replyDecodeFrame() {
        failedReplyFrame.readerIndex(0);
        decoded.clear();
        responseDecoder.decode(clientCtx, failedReplyFrame, decoded);
        return decoded.get(0);
    }
}
