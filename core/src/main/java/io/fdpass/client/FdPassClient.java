package io.fdpass.client;

import io.fdpass.FdPassErrorException;
import io.fdpass.FdPassException;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassClientCodec;
import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassRequest;
import io.fdpass.internal.SocketCalls;
import io.fdpass.spi.FdPassTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A connection to an fdpass server. Requests pipeline over it; each completes with a {@link ReceivedReply} whose
 * entries carry the received files.
 *
 * <pre>{@code
 * try (FdPassClient client = FdPassClient.connect(Path.of("/run/files.sock"));
 *      ReceivedReply reply = client.request("courses.txt", "contacts.txt").join()) {
 *     for (ReceivedReply.Entry entry : reply.entries()) {
 *         if (entry.isOk()) {
 *             System.out.println(new String(entry.file().inputStream().readAllBytes()));
 *         } else {
 *             System.err.println(entry.name() + ": " + entry.status());
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>When the connection drops (the server restarted, say), the requests in flight fail, and the next request
 * connects again, retrying with a growing pause until the reconnect timeout passes; turn that off with
 * {@link Builder#reconnectTimeout(Duration) reconnectTimeout(Duration.ZERO)}. Requests are never sent twice. A
 * server that refuses the connection (ERROR TOO_MANY_CONNECTIONS, right after HELLO) is given a longer pause, 1 s,
 * before each new attempt.
 *
 * <p>It is thread-safe. Futures complete on the connection's event loop: do not block in their callbacks.
 */
public final class FdPassClient implements AutoCloseable {
    private static final long FIRST_RETRY_MILLIS = 10;
    private static final long LAST_RETRY_MILLIS = 1_000;
    /** The pause before connecting again to a server that refused the connection (TOO_MANY_CONNECTIONS). */
    private static final long REFUSED_RETRY_MILLIS = 1_000;

    private final Path socket;
    private final FdPassTransport transport;
    private final EventLoopGroup group;
    private final EventLoopGroup ownedGroup;
    private final long timeoutMillis;
    private final long connectTimeoutMillis;
    private final long reconnectTimeoutMillis;
    private final ClientCounters stats = new ClientCounters();
    private final AtomicInteger nextId = new AtomicInteger();

    private volatile Connection connection;
    /** The reconnection under way, shared by the requests that wait for it; guarded by this. */
    private CompletableFuture<Connection> reconnecting;
    private volatile boolean closed;

    /** One connection: its channel, its handler and the limits its server announced. */
    private record Connection(Channel channel, ClientHandler handler, FdPassHello hello) {
    }

    private FdPassClient(Builder builder, FdPassTransport transport, EventLoopGroup ownedGroup) {
        this.socket = builder.socket;
        this.transport = transport;
        this.ownedGroup = ownedGroup;
        this.group = builder.group != null ? builder.group : ownedGroup;
        this.timeoutMillis = builder.timeoutMillis;
        this.connectTimeoutMillis = builder.connectTimeoutMillis;
        this.reconnectTimeoutMillis = builder.reconnectTimeoutMillis;
    }

    /** Connects with the default settings and waits for the server's HELLO. */
    public static FdPassClient connect(Path socket) throws FdPassException {
        return builder().socket(socket).connect();
    }

    /** Settings for a client, to {@link Builder#connect() connect} with; only the socket has no default. */
    public static Builder builder() {
        return new Builder();
    }

    /** What this client did so far. */
    public FdPassClientStats stats() {
        return stats;
    }

    /** The limits the server announced (after a reconnection, the new server's). */
    public FdPassHello serverLimits() {
        return connection.hello();
    }

    /** Whether the current connection is open. A client that reconnects opens a new one on the next request. */
    public boolean isOpen() {
        return connection.channel().isActive();
    }

    /**
     * Asks for {@code names}, in order: as {@link #request(List)}.
     *
     * @param names 1 to the server's {@code maxNames} names, relative to its root
     * @return the reply, once every descriptor it carries has arrived; the caller closes it
     */
    public CompletableFuture<ReceivedReply> request(String... names) {
        return request(List.of(names));
    }

    /**
     * Asks for {@code names}, in order. The future fails with an {@link FdPassException} if the connection drops,
     * the timeout passes, reconnecting fails or the server sends ERROR ({@link FdPassErrorException}); with an
     * {@link IllegalArgumentException} if the request breaks the server's limits.
     *
     * <p>A completed reply is the caller's to close. Cancel the future of a reply no longer wanted: its
     * descriptors are closed whether they had arrived or not.
     *
     * <p>Callable from any thread. Futures complete on the client's event loop, so a callback that sends the next
     * request does so from there, while the loop is reading: such requests go out together once the read is done,
     * and the callback must not block waiting for their replies.
     */
    public CompletableFuture<ReceivedReply> request(List<String> names) {
        CompletableFuture<ReceivedReply> future = new ReplyFuture();
        List<String> copy = List.copyOf(names);
        Connection current = connection;
        if (current.channel().isActive() || reconnectTimeoutMillis == 0 || closed) {
            send(current, copy, future);
        } else {
            reconnect(current).whenComplete((fresh, e) -> {
                if (e != null) {
                    stats.failed(FdPassClientStats.Failure.CONNECTION_CLOSED);
                    future.completeExceptionally(e instanceof CompletionException ? e.getCause() : e);
                } else {
                    send(fresh, copy, future);
                }
            });
        }
        return future;
    }

    /** Cancelling it releases the reply even when it had already arrived: nobody else will close it. */
    private static final class ReplyFuture extends CompletableFuture<ReceivedReply> {
        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            if (!cancelled && isDone() && !isCompletedExceptionally()) {
                join().close();
            }
            return cancelled;
        }
    }

    private void send(Connection on, List<String> names, CompletableFuture<ReceivedReply> future) {
        FdPassRequest request;
        try {
            FdPassHello hello = on.hello();
            if (names.isEmpty() || names.size() > hello.maxNames()) {
                throw new IllegalArgumentException("names: " + names.size() + " (expected: 1.." + hello.maxNames()
                        + ")");
            }
            request = FdPassRequest.of(nextId.getAndIncrement(), names.toArray(String[]::new));
            if (request.frameLength() > hello.maxFrameLength()) {
                throw new IllegalArgumentException("request length: " + request.frameLength() + " (expected: <= "
                        + hello.maxFrameLength() + ")");
            }
        } catch (IllegalArgumentException e) {
            stats.failed(FdPassClientStats.Failure.INVALID_REQUEST);
            future.completeExceptionally(e);
            return;
        }
        ClientHandler.Pending pending = new ClientHandler.Pending(request, names, future);
        EventLoop loop = on.channel().eventLoop();
        if (loop.inEventLoop()) {
            on.handler().send(pending); // from a reply's callback, typically: no trip through the task queue
            return;
        }
        try {
            loop.execute(() -> on.handler().send(pending));
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(new FdPassException("client closed", e));
        }
    }

    /** A new connection in place of {@code dropped}, shared by every request that finds it dropped. */
    private synchronized CompletableFuture<Connection> reconnect(Connection dropped) {
        if (connection != dropped) {
            return CompletableFuture.completedFuture(connection);
        }
        CompletableFuture<Connection> attempt = reconnecting;
        if (attempt == null) {
            attempt = new CompletableFuture<>();
            reconnecting = attempt;
            // Before the attempt starts: it may end before this returns, and must still be taken down.
            attempt.whenComplete((fresh, e) -> {
                synchronized (this) {
                    reconnecting = null;
                    if (fresh != null) {
                        if (closed) {
                            fresh.channel().close();
                        } else {
                            connection = fresh;
                        }
                    }
                }
            });
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(reconnectTimeoutMillis);
            FdPassErrorException refusal = dropped.handler().refusal();
            if (refusal != null) {
                retryLater(attempt, deadline, REFUSED_RETRY_MILLIS, refusal); // it said so: not again at once
            } else {
                tryConnect(attempt, deadline, FIRST_RETRY_MILLIS, null);
            }
        }
        return attempt;
    }

    private void tryConnect(CompletableFuture<Connection> attempt, long deadline, long pauseMillis,
            FdPassException last) {
        if (closed) {
            attempt.completeExceptionally(new FdPassException("client closed"));
            return;
        }
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
            attempt.completeExceptionally(new FdPassException(socket + ": cannot reconnect within "
                    + reconnectTimeoutMillis + " ms: " + (last == null ? "" : last.getMessage()), last));
            return;
        }
        open(Math.min(left, connectTimeoutMillis)).whenComplete((fresh, e) -> {
            if (fresh != null) {
                attempt.complete(fresh);
                return;
            }
            FdPassException cause = (FdPassException) (e instanceof CompletionException ? e.getCause() : e);
            boolean refused = cause instanceof FdPassErrorException error
                    && error.errorCode() == ErrorCode.TOO_MANY_CONNECTIONS;
            retryLater(attempt, deadline, refused ? Math.max(pauseMillis, REFUSED_RETRY_MILLIS) : pauseMillis, cause);
        });
    }

    /** Tries again after {@code pauseMillis}, or fails now if the deadline comes first. */
    private void retryLater(CompletableFuture<Connection> attempt, long deadline, long pauseMillis,
            FdPassException last) {
        if (last != null && System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMillis) - deadline > 0) {
            tryConnect(attempt, System.nanoTime(), pauseMillis, last); // says why it gives up
            return;
        }
        try {
            group.next().schedule(() -> tryConnect(attempt, deadline, Math.min(pauseMillis * 2,
                    Math.max(LAST_RETRY_MILLIS, pauseMillis)), last), pauseMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException rejected) {
            attempt.completeExceptionally(new FdPassException("client closed", rejected));
        }
    }

    /** Connects once and waits for HELLO, at most {@code timeoutMillis}. */
    private CompletableFuture<Connection> open(long timeoutMillis) {
        CompletableFuture<Connection> opened = new CompletableFuture<>();
        ClientHandler handler = new ClientHandler(this.timeoutMillis, stats,
                (names, reply, descriptors) -> ReceivedReply.of(names, reply, descriptors, stats));
        ChannelFuture connected = new Bootstrap()
                .group(group)
                .channel(transport.channelClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeoutMillis, Integer.MAX_VALUE))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new FdPassClientCodec(transport.socket(ch).reader()), handler);
                    }
                })
                .connect(new DomainSocketAddress(socket.toString()));
        connected.addListener(f -> {
            if (!f.isSuccess()) {
                opened.completeExceptionally(new FdPassException(socket + ": " + describeConnectFailure(f.cause()),
                        f.cause()));
                return;
            }
            handler.hello().orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).whenComplete((hello, e) -> {
                if (hello != null) {
                    opened.complete(new Connection(connected.channel(), handler, hello));
                    return;
                }
                connected.channel().close();
                Throwable cause = e instanceof CompletionException ? e.getCause() : e;
                if (cause instanceof FdPassErrorException refused) {
                    opened.completeExceptionally(refused); // HELLO, then ERROR: it says why itself
                    return;
                }
                String why = cause instanceof TimeoutException
                        ? "no HELLO within " + timeoutMillis + " ms; not an fdpass v1 server?"
                        : cause.getMessage().startsWith("connection closed")
                        ? "closed before HELLO (not an fdpass server, or one that could not accept it)"
                        : cause.getMessage();
                opened.completeExceptionally(new FdPassException(socket + ": " + why, cause));
            });
        });
        return opened;
    }

    private String describeConnectFailure(Throwable cause) {
        if (cause instanceof FileNotFoundException) {
            return "no such socket file (is the server running?)";
        }
        String reason = ClientHandler.reason(cause);
        if (reason.startsWith("Connection refused")) {
            // connect(2) says ECONNREFUSED for any file that is not a listening socket, not only a stale one.
            return Files.isDirectory(socket) ? "not a socket but a directory"
                    : Files.isRegularFile(socket) ? "not a socket but a regular file"
                    : "cannot connect: connection refused (a stale socket file? is the server running?)";
        }
        return "cannot connect: " + reason;
    }

    /** Closes the connection: requests still unanswered fail, descriptors not handed out are closed. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        connection.channel().close().awaitUninterruptibly();
        if (ownedGroup != null) {
            ownedGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    /** Settings for a client connection. */
    public static final class Builder {
        private Path socket;
        private FdPassTransport transport;
        private EventLoopGroup group;
        private long timeoutMillis = 30_000;
        private long connectTimeoutMillis = 10_000;
        private long reconnectTimeoutMillis = 10_000;

        private Builder() {
        }

        /** The server's socket file: the one setting without a default. */
        public Builder socket(Path socket) {
            this.socket = Objects.requireNonNull(socket, "socket");
            return this;
        }

        /** Use this transport instead of the first one available on the platform. */
        public Builder transport(FdPassTransport transport) {
            this.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        /** Run on this group instead of a one-thread group of the client's own. */
        public Builder eventLoopGroup(EventLoopGroup group) {
            this.group = Objects.requireNonNull(group, "group");
            return this;
        }

        /** How long a request may wait for its reply: default 30 s; zero for no limit. */
        public Builder requestTimeout(Duration timeout) {
            this.timeoutMillis = millis(timeout, "timeout", true);
            return this;
        }

        /** How long connecting and waiting for the server's HELLO may take: default 10 s. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeoutMillis = millis(timeout, "timeout", false);
            return this;
        }

        /**
         * How long a request made after the connection dropped may spend connecting again, retrying after 10 ms,
         * 20 ms ... up to 1 s between attempts: default 10 s. Zero turns reconnecting off: such requests fail at
         * once.
         */
        public Builder reconnectTimeout(Duration timeout) {
            this.reconnectTimeoutMillis = millis(timeout, "timeout", true);
            return this;
        }

        private static long millis(Duration duration, String name, boolean zeroAllowed) {
            if (duration.isNegative() || (!zeroAllowed && duration.isZero())) {
                throw new IllegalArgumentException(name + ": " + duration + " (expected: " + (zeroAllowed ? ">= 0"
                        : "> 0") + ")");
            }
            return duration.toMillis();
        }

        /** Connects and waits for the server's HELLO. */
        public FdPassClient connect() throws FdPassException {
            Objects.requireNonNull(socket, "socket not set");
            String problem = SocketCalls.socketPathProblem(socket);
            if (problem != null) {
                throw new FdPassException(problem);
            }
            FdPassTransport chosen = transport != null ? transport.ensureAvailable() : FdPassTransport.preferred();
            EventLoopGroup ownedGroup = group == null
                    ? new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("fdpass-client", true),
                            chosen.newIoHandlerFactory())
                    : null;
            FdPassClient client = new FdPassClient(this, chosen, ownedGroup);
            try {
                client.connection = client.open(connectTimeoutMillis).join();
                return client;
            } catch (CompletionException e) {
                if (ownedGroup != null) {
                    ownedGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS);
                }
                throw (FdPassException) e.getCause();
            }
        }
    }
}
