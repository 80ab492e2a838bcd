package io.fdpass.server;

import io.fdpass.AccessPolicy;
import io.fdpass.FileSource;
import io.fdpass.OpenResult;
import io.fdpass.Peer;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassProtocol;
import io.fdpass.codec.FdPassRequest;
import io.fdpass.codec.FileStatus;
import io.fdpass.testing.Fds;
import io.fdpass.testing.LeakCheck;
import io.fdpass.testing.MemorySocket;
import io.fdpass.testing.TestFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A server whose connections live in memory: the real initializer, handlers, limits, budget and file source (a
 * temporary root of a few files, opened with real descriptors), each connection on an {@link EmbeddedChannel} with a
 * {@link MemorySocket}. Time is one clock for all of them, which only the test moves ({@link #advance}), from 0 as
 * Netty's mock ticker starts: a time like any other. Confinement is off. Its
 * {@link #close()} hangs every client up and checks that everything was given back exactly once: each lease, the
 * connections and uids counted, the descriptors in flight and held, the watches, this process's descriptors, the
 * buffers.
 */
final class MemoryServer implements AutoCloseable {
    /** The files of the root, by name: each content says which file a descriptor refers to. */
    static final Map<String, String> FILES = Map.of("a.txt", "alpha", "b.txt", "bravo", "c.txt", "charlie",
            "d.txt", "delta");

    final ServerConfig config;
    final FdPassServerInitializer initializer;
    private final MockTicker clock = Ticker.newMockTicker();
    private final int baselineFds;
    private final List<Connection> connections = new ArrayList<>();
    private boolean closed;

    private MemoryServer(Builder b) throws IOException {
        baselineFds = Fds.count();
        Path root = Files.createDirectories(b.dir.resolve("root"));
        for (Map.Entry<String, String> file : FILES.entrySet()) {
            Files.writeString(root.resolve(file.getKey()), file.getValue(), StandardCharsets.UTF_8);
        }
        FdPassHello hello = new FdPassHello(b.maxNames, FdPassProtocol.MIN_FRAME_LENGTH_LIMIT, b.maxUnanswered);
        ConnectionLimits limits = new ConnectionLimits(b.maxConnections, b.maxConnectionsPerUid, b.policy);
        DescriptorBudget budget = new DescriptorBudget(b.maxNames, clock, () -> b.openFileLimit);
        FileSource source = FileSources.beneath(root);
        if (b.openExecutor != null) {
            source = new MayBlock(source);
        }
        config = new ServerConfig(hello, source, b.policy, b.lingerMillis, b.maxUnreadBytes,
                b.frameTimeoutMillis, b.idleTimeoutMillis, b.stallTimeoutMillis, b.openExecutor, limits, budget,
                new ServerCounters(budget::inFlight), new ActivityLog(FdPassServer.LOG_INTERVAL_MILLIS, false, clock));
        initializer = new FdPassServerInitializer(config, true, null, () -> { }, null);
    }

    static Builder builder(Path dir) {
        return new Builder(dir);
    }

    /** The built-in source, saying that it may block: the server then opens on its open executor. */
    private record MayBlock(FileSource source) implements FileSource {
        @Override
        public OpenResult open(String name, Peer peer) {
            return source.open(name, peer);
        }

        @Override
        public OpenResult open(byte[] nameUtf8, Peer peer) {
            return source.open(nameUtf8, peer);
        }

        @Override
        public void close() {
            source.close();
        }
    }

    /** The settings tests change; the others are the server's defaults. */
    static final class Builder {
        private final Path dir;
        private int maxNames = 4;
        private int maxUnanswered = 8;
        private long lingerMillis = 1_000;
        private int maxUnreadBytes = SendQueueBound.AUTO;
        private long frameTimeoutMillis = FdPassServer.DEFAULT_FRAME_TIMEOUT_MILLIS;
        private long idleTimeoutMillis = FdPassServer.DEFAULT_IDLE_TIMEOUT_MILLIS;
        private long stallTimeoutMillis = FdPassServer.DEFAULT_STALL_TIMEOUT_MILLIS;
        private int maxConnections = 16;
        private int maxConnectionsPerUid = 4;
        private AccessPolicy policy = AccessPolicy.ALLOW_ALL;
        private long openFileLimit = 1024;
        private Executor openExecutor;

        private Builder(Path dir) {
            this.dir = dir;
        }

        Builder maxUnanswered(int n) {
            maxUnanswered = n;
            return this;
        }

        Builder lingerMillis(long millis) {
            lingerMillis = millis;
            return this;
        }

        Builder maxUnreadBytes(int bytes) {
            maxUnreadBytes = bytes;
            return this;
        }

        Builder frameTimeoutMillis(long millis) {
            frameTimeoutMillis = millis;
            return this;
        }

        Builder idleTimeoutMillis(long millis) {
            idleTimeoutMillis = millis;
            return this;
        }

        Builder stallTimeoutMillis(long millis) {
            stallTimeoutMillis = millis;
            return this;
        }

        Builder maxConnections(int total, int perUid) {
            maxConnections = total;
            maxConnectionsPerUid = perUid;
            return this;
        }

        Builder policy(AccessPolicy policy) {
            this.policy = policy;
            return this;
        }

        /** The soft RLIMIT_NOFILE the budget's shares come from. */
        Builder openFileLimit(long limit) {
            openFileLimit = limit;
            return this;
        }

        /** Opens on {@code executor}, as for a source that may block, rather than on the event loop. */
        Builder openExecutor(Executor executor) {
            openExecutor = executor;
            return this;
        }

        MemoryServer start() throws IOException {
            return new MemoryServer(this);
        }
    }

    DescriptorBudget budget() {
        return config.budget();
    }

    ConnectionLimits limits() {
        return config.limits();
    }

    FdPassServerStats.Snapshot stats() {
        return config.counters().snapshot();
    }

    /** A connection of a process of {@code uid}. */
    Connection connect(int uid) {
        return connect(new MemorySocket(new Peer(uid, uid, 1000 + connections.size())));
    }

    /** A connection on {@code socket}, accepted as the initializer accepts one. */
    Connection connect(MemorySocket socket) {
        MemoryChannel channel = new MemoryChannel(socket, EmbeddedChannel.builder().ticker(clock).register(false)
                .handlers(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        socket.bind(ch);
                        initializer.initChannel(ch, socket);
                    }
                }));
        try {
            channel.register(); // once constructed: its writes need its socket
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        Connection connection = new Connection(channel, socket, channel.pipeline().get(ServerHandler.class));
        connections.add(connection);
        return connection;
    }

    /**
     * Moves the clock on by {@code millis}, running each connection's tasks when their time comes, as a real clock
     * would: a task that schedules another within the span sees it run too, in order with the others.
     */
    void advance(long millis) {
        long left = TimeUnit.MILLISECONDS.toNanos(millis);
        for (long next; (next = runDue()) >= 0 && next <= left; ) {
            clock.advance(next, TimeUnit.NANOSECONDS);
            left -= next;
        }
        clock.advance(left, TimeUnit.NANOSECONDS);
        runDue();
    }

    /** Runs every task due; how long until the next one is, or -1 if none is scheduled. */
    private long runDue() {
        long next = -1;
        for (Connection c : connections) {
            c.channel.runPendingTasks();
            long due = c.channel.runScheduledPendingTasks();
            if (due >= 0 && (next < 0 || due < next)) {
                next = due;
            }
        }
        return next;
    }

    /**
     * Every client hangs up (the kernel drops what it had not read) and the server closes; then everything must have
     * been given back, each thing once.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Connection c : connections) {
            c.socket.readAll();
            if (c.channel.isOpen()) {
                c.channel.pipeline().close();
            }
        }
        advance(2_000);
        for (Connection c : connections) {
            c.channel.checkException();
            if (c.handler != null) {
                assertTrue(c.handler.lease().isGivenBack(), () -> c + ": lease not given back");
            }
            assertEquals(0, c.socket.watchesOpen(), () -> c + ": watches left open");
            assertEquals(0, c.socket.misuses(), () -> c + ": a watch closed twice or used after its close");
        }
        assertEquals(0, limits().open(), "connections counted open");
        assertEquals(0, limits().uidsHolding(), "uids counted as holding a connection");
        assertEquals(0, budget().inFlight(), "descriptors counted in flight");
        FdPassServerStats.Snapshot stats = stats();
        assertEquals(0, stats.connectionsOpen(), stats::toString);
        assertEquals(0, stats.descriptorsHeld(), stats::toString);
        initializer.close();
        for (Connection c : connections) {
            c.channel.finishAndReleaseAll();
        }
        assertEquals(baselineFds, Fds.count(), "open descriptors");
        LeakCheck.assertNoLeaks();
    }

    /**
     * An embedded channel that writes into its {@link MemorySocket}'s send queue, and whose writes of descriptors can
     * fail, as a socket's sendmsg does.
     */
    static final class MemoryChannel extends EmbeddedChannel {
        private final MemorySocket socket;
        private Throwable writeFailure;

        MemoryChannel(MemorySocket socket, EmbeddedChannel.Builder builder) {
            super(builder);
            this.socket = socket;
        }

        /**
         * From now on, writing a descriptor fails with {@code cause}, as Netty's native channels fail it: what was
         * written before it is written; then, for an {@link IOException} (sendmsg's EPIPE, ETOOMANYREFS), the channel
         * closes, failing it and every write flushed behind it; for an {@link Error} (epoll's sendFd on a full send
         * buffer), its output is shut down and those writes fail, the channel left open.
         */
        void failDescriptorWrites(Throwable cause) {
            writeFailure = cause;
        }

        @Override
        protected void doWrite(ChannelOutboundBuffer in) throws Exception {
            for (Object msg; (msg = in.current()) != null; ) {
                if (writeFailure != null && msg instanceof FileDescriptor) {
                    if (writeFailure instanceof Exception e) {
                        throw e;
                    }
                    throw (Error) writeFailure;
                }
                ReferenceCountUtil.retain(msg);
                handleOutboundMessage(msg);
                socket.written();
                in.remove();
            }
        }

        /** As a socket's shutdown(SHUT_WR): the channel stays open (Netty's default would close it). */
        @Override
        protected void doShutdownOutput() {
        }
    }

    /** One client's connection: what it sends, what it gets, and its socket. */
    static final class Connection {
        final MemoryChannel channel;
        final MemorySocket socket;
        /** Null for a refused connection. */
        final ServerHandler handler;
        /** The message of the last ERROR {@link #read()}. */
        String errorMessage;

        Connection(MemoryChannel channel, MemorySocket socket, ServerHandler handler) {
            this.channel = channel;
            this.socket = socket;
            this.handler = handler;
        }

        /** Sends these requests, back to back, as one read. */
        Connection send(FdPassRequest... requests) {
            return send((Object[]) requests);
        }

        /** Sends these requests ({@link FdPassRequest}) and bytes ({@code byte[]}), back to back, as one read. */
        Connection send(Object... parts) {
            ByteBuf bytes = Unpooled.buffer();
            for (Object part : parts) {
                bytes.writeBytes(part instanceof FdPassRequest r ? TestFrames.requests(r) : (byte[]) part);
            }
            channel.writeInbound(bytes);
            return this;
        }

        /**
         * What the server wrote since the last call, one line per frame or descriptor: {@code HELLO},
         * {@code REPLY 3 OK NOT_FOUND}, {@code ERROR TIMED_OUT}, {@code fd charlie} (a descriptor, by its file's
         * content, read through it). The descriptors are released, which closes them, as the client's reading does.
         */
        List<String> read() {
            List<String> got = new ArrayList<>();
            for (Object msg; (msg = channel.readOutbound()) != null; ) {
                switch (msg) {
                    case ByteBuf frame -> {
                        try {
                            while (frame.isReadable()) {
                                got.add(frame(frame));
                            }
                        } finally {
                            frame.release();
                        }
                    }
                    case OutboundDescriptor fd -> {
                        try {
                            got.add("fd " + Fds.readAll(fd.intValue()));
                        } finally {
                            fd.release();
                        }
                    }
                    default -> fail("the server wrote " + msg);
                }
            }
            return got;
        }

        private String frame(ByteBuf in) {
            int length = in.readInt();
            int type = in.readByte();
            int end = in.readerIndex() + length - 1;
            StringBuilder line = new StringBuilder();
            switch (type) {
                case FdPassProtocol.TYPE_HELLO -> line.append("HELLO");
                case FdPassProtocol.TYPE_REPLY -> {
                    line.append("REPLY ").append(in.readInt());
                    int count = in.readUnsignedShort();
                    for (int i = 0; i < count; i++) {
                        line.append(' ').append(FileStatus.valueOf(in.readUnsignedByte()));
                        in.readLong();
                    }
                }
                case FdPassProtocol.TYPE_ERROR -> {
                    line.append("ERROR ").append(ErrorCode.valueOf(in.readUnsignedShort()));
                    errorMessage = in.readCharSequence(in.readUnsignedShort(), StandardCharsets.UTF_8).toString();
                }
                default -> fail("frame type " + type);
            }
            in.readerIndex(end);
            return line.toString();
        }

        /** Whether the server is reading the connection. */
        boolean isReading() {
            return channel.config().isAutoRead();
        }

        boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public String toString() {
            return channel + " " + socket;
        }
    }
}
