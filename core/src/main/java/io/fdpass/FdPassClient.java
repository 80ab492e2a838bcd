package io.fdpass;

import io.fdpass.codec.FdPassClientCodec;
import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassRequest;
import io.fdpass.internal.Transports;
import io.fdpass.spi.FdPassTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.FileNotFoundException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A connection to an fdpass server. Requests pipeline over it; each completes with a {@link Reply} whose entries
 * carry the received files.
 *
 * <pre>{@code
 * try (FdPassClient client = FdPassClient.connect(Path.of("/run/files.sock"));
 *      Reply reply = client.request("courses.txt", "contacts.txt").join()) {
 *     for (Reply.Entry entry : reply.entries()) {
 *         if (entry.isOk()) {
 *             System.out.println(new String(entry.file().inputStream().readAllBytes()));
 *         } else {
 *             System.err.println(entry.name() + ": " + entry.status());
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>It is thread-safe. Futures complete on the connection's event loop: do not block in their callbacks.
 */
public final class FdPassClient implements AutoCloseable {
    private final Channel channel;
    private final ClientHandler handler;
    private final FdPassHello hello;
    private final EventLoopGroup ownedGroup;
    private final AtomicInteger nextId = new AtomicInteger();
    private final FdPassClientStats stats;

    private FdPassClient(Channel channel, ClientHandler handler, FdPassHello hello, EventLoopGroup ownedGroup,
            FdPassClientStats stats) {
        this.channel = channel;
        this.handler = handler;
        this.hello = hello;
        this.ownedGroup = ownedGroup;
        this.stats = stats;
    }

    /** What this client did so far. */
    public FdPassClientStats stats() {
        return stats;
    }

    /** Connects with the default settings and waits for the server's HELLO. */
    public static FdPassClient connect(Path socket) throws FdPassException {
        return builder().socket(socket).connect();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The limits the server announced. */
    public FdPassHello serverHello() {
        return hello;
    }

    /** Whether the connection is still open. */
    public boolean isOpen() {
        return channel.isActive();
    }

    public CompletableFuture<Reply> request(String... names) {
        return request(List.of(names));
    }

    /**
     * Asks for {@code names}, in order. The future fails with an {@link FdPassException} if the connection drops,
     * the timeout passes or the server sends ERROR ({@link FdPassErrorException}); with an
     * {@link IllegalArgumentException} if the request breaks the server's limits.
     */
    public CompletableFuture<Reply> request(List<String> names) {
        CompletableFuture<Reply> future = new CompletableFuture<>();
        FdPassRequest request;
        try {
            if (names.isEmpty() || names.size() > hello.maxNames()) {
                throw new IllegalArgumentException("names: " + names.size() + " (expected: 1.." + hello.maxNames()
                        + ")");
            }
            byte[][] bytes = new byte[names.size()][];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = names.get(i).getBytes(StandardCharsets.UTF_8);
            }
            request = new FdPassRequest(nextId.getAndIncrement(), List.of(bytes));
            if (request.frameLength() > hello.maxFrameLength()) {
                throw new IllegalArgumentException("request length: " + request.frameLength() + " (expected: <= "
                        + hello.maxFrameLength() + ")");
            }
        } catch (IllegalArgumentException e) {
            stats.failed(FdPassClientStats.Failure.INVALID_REQUEST);
            future.completeExceptionally(e);
            return future;
        }
        ClientHandler.Pending pending = new ClientHandler.Pending(request, List.copyOf(names), future);
        try {
            channel.eventLoop().execute(() -> handler.send(pending));
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(new FdPassException("client closed", e));
        }
        return future;
    }

    /** Closes the connection: requests still unanswered fail, descriptors not handed out are closed. */
    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
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

        private Builder() {
        }

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
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("timeout: " + timeout + " (expected: >= 0)");
            }
            this.timeoutMillis = timeout.toMillis();
            return this;
        }

        /** How long connecting and waiting for the server's HELLO may take: default 10 s. */
        public Builder connectTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
            }
            this.connectTimeoutMillis = timeout.toMillis();
            return this;
        }

        /** Connects and waits for the server's HELLO. */
        public FdPassClient connect() throws FdPassException {
            Objects.requireNonNull(socket, "socket not set");
            FdPassTransport chosen = transport != null ? Transports.checkAvailable(transport) : Transports.pick();
            EventLoopGroup ownedGroup = group == null
                    ? new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("fdpass-client", true),
                            chosen.newIoHandlerFactory())
                    : null;
            FdPassClientStats stats = new FdPassClientStats();
            ClientHandler handler = new ClientHandler(timeoutMillis, stats);
            Channel channel = null;
            try {
                ChannelFuture connected = new Bootstrap()
                        .group(group != null ? group : ownedGroup)
                        .channel(chosen.channelClass())
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(connectTimeoutMillis,
                                Integer.MAX_VALUE))
                        .handler(new ChannelInitializer<>() {
                            @Override
                            protected void initChannel(Channel ch) {
                                ch.pipeline().addLast(new FdPassClientCodec(), handler);
                            }
                        })
                        .connect(new DomainSocketAddress(socket.toString()))
                        .awaitUninterruptibly();
                channel = connected.channel();
                if (!connected.isSuccess()) {
                    throw new FdPassException(socket + ": " + describeConnectFailure(connected.cause()),
                            connected.cause());
                }
                FdPassHello hello;
                try {
                    hello = handler.hello.get(connectTimeoutMillis, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    throw new FdPassException(socket + ": no HELLO within " + connectTimeoutMillis
                            + " ms; not an fdpass v1 server?");
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    String why = cause.getMessage().startsWith("connection closed")
                            ? "closed before HELLO (the server is at its connection limit, or not an fdpass server)"
                            : cause.getMessage();
                    throw new FdPassException(socket + ": " + why, cause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new FdPassException(socket + ": interrupted while connecting", e);
                }
                return new FdPassClient(channel, handler, hello, ownedGroup, stats);
            } catch (FdPassException | RuntimeException e) {
                if (channel != null) {
                    channel.close().awaitUninterruptibly();
                }
                if (ownedGroup != null) {
                    ownedGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS);
                }
                throw e;
            }
        }

        private static String describeConnectFailure(Throwable cause) {
            if (cause instanceof FileNotFoundException) {
                return "no such socket file (is the server running?)";
            }
            // Netty's message ends in strerror: "connect(..) failed with error(-111): Connection refused".
            String message = String.valueOf(cause.getMessage());
            int reason = message.lastIndexOf("): ");
            return "cannot connect: " + (reason >= 0 ? message.substring(reason + 3) : message);
        }
    }
}
