package io.fdpass.server;

import io.fdpass.AccessPolicy;
import io.fdpass.FileSource;
import io.fdpass.Peer;
import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassProtocol;
import io.fdpass.confinement.Confinement;
import io.fdpass.spi.FdPassTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An fdpass server: listens on a Unix domain socket and hands its clients open, read-only descriptors of the files
 * beneath one root directory (or of whatever a {@link FileSource} of yours opens).
 *
 * <pre>{@code
 * try (FdPassServer server = FdPassServer.builder()
 *         .socket(Path.of("/run/files.sock"))
 *         .root(Path.of("/srv/files"))
 *         .accessPolicy(AccessPolicy.uids(1000))
 *         .start()) {
 *     server.closeFuture().join(); // serves until closed
 * }
 * }</pre>
 *
 * <p>{@link #close()} shuts down gracefully (protocol v1, "Closing"): it stops accepting, removes the socket file,
 * answers what was read, and closes each connection once its client has what it was sent.
 */
public final class FdPassServer implements AutoCloseable {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(FdPassServer.class);
    /** Connections served at once, unless told otherwise. */
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;
    /** Connections served at once for one uid, unless told otherwise: this share of {@code maxConnections}. */
    public static final int DEFAULT_CONNECTIONS_PER_UID_DIVISOR = 8;
    /** How long a frame begun may take to arrive whole, unless told otherwise. */
    public static final long DEFAULT_FRAME_TIMEOUT_MILLIS = 10_000;
    /** How long a connection with nothing unanswered may stay idle, unless told otherwise. */
    public static final long DEFAULT_IDLE_TIMEOUT_MILLIS = 300_000;
    /** How long a connection held back by its clients may wait for them to read anything, unless told otherwise. */
    public static final long DEFAULT_STALL_TIMEOUT_MILLIS = 30_000;
    /** How often the log summarises what it did not log line by line (refusals, connections). */
    public static final long LOG_INTERVAL_MILLIS = 10_000;
    /** Names per request, unless told otherwise: protocol v1's most. */
    public static final int DEFAULT_MAX_NAMES = FdPassProtocol.MAX_NAMES_LIMIT;
    /** Largest request frame, unless told otherwise: protocol v1's most. */
    public static final int DEFAULT_MAX_FRAME_LENGTH = FdPassProtocol.MAX_FRAME_LENGTH_LIMIT;
    /** Requests a client may have unanswered, unless told otherwise. */
    public static final int DEFAULT_MAX_UNANSWERED = 32;
    /** How long a connection lingers for its client after an ERROR, unless told otherwise: the protocol's default. */
    public static final long DEFAULT_LINGER_MILLIS = 10_000;

    private final Channel serverChannel;
    private final SocketFile socket;
    private final FdPassServerInitializer initializer;
    private final EventLoopGroup ownedGroup;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final long lingerMillis;

    FdPassServer(Channel serverChannel, SocketFile socket, FdPassServerInitializer initializer,
            EventLoopGroup ownedGroup, long lingerMillis) {
        this.serverChannel = serverChannel;
        this.socket = socket;
        this.initializer = initializer;
        this.ownedGroup = ownedGroup;
        this.lingerMillis = lingerMillis;
    }

    /** Settings for a server, to {@link Builder#start() start}; every one but what to serve has a default. */
    public static Builder builder() {
        return new Builder();
    }

    /** The path the server created and listens on; null when it was handed a listening socket. */
    public Path socketPath() {
        return socket == null ? null : socket.path();
    }

    /** The limits the server announces in HELLO. */
    public FdPassHello limits() {
        return initializer.limits();
    }

    /** What the server did so far: {@code stats().snapshot()} reads every counter. */
    public FdPassServerStats stats() {
        return initializer.stats();
    }

    /** Whether the threads this server started run confined: on its own event loops, see {@link Builder#confine}. */
    public boolean isConfined() {
        return ownedGroup != null && initializer.confinement() != null;
    }

    /** Connections served now (refused ones excepted). */
    public int connectionCount() {
        return initializer.connectionCount();
    }

    /** Completes once the server has shut down. */
    public CompletableFuture<Void> closeFuture() {
        return closed;
    }

    /**
     * Starts a graceful shutdown and returns at once: stops accepting, removes the socket file, answers every
     * request already read, sends ERROR SHUTTING_DOWN and closes each connection as protocol v1's "Closing" rule
     * says. Completes {@link #closeFuture()} when done.
     */
    public CompletableFuture<Void> shutdownGracefully() {
        synchronized (this) {
            if (serverChannel.isOpen()) {
                serverChannel.close().syncUninterruptibly();
                if (socket != null) { // handed a listening socket, whoever bound it owns the path
                    socket.unlink();
                }
                initializer.shutdownGracefully().whenComplete((v, e) -> release());
            }
        }
        return closed;
    }

    /** Shuts down gracefully and waits for it, at most about the linger timeout plus a margin. */
    @Override
    public void close() {
        try {
            shutdownGracefully().get(lingerMillis + 5_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            logger.warn("fdpass server on {} did not shut down in time", socketPath(), e);
        }
    }

    /** The loops end first: none then uses the closed source, and none starts once the domain's rules are gone. */
    private void release() {
        if (ownedGroup == null) {
            closeInitializer();
        } else {
            ownedGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).addListener(f -> closeInitializer());
        }
    }

    private void closeInitializer() {
        try {
            initializer.close();
        } finally {
            closed.complete(null);
        }
    }

    /** Configures and starts a server. Every setting but the socket and the root (or a file source) has a default. */
    public static final class Builder {
        Path socket;
        Path root;
        FileSource fileSource;
        boolean allowMounts;
        EventLoopGroup group;
        FdPassTransport transport;
        FdPassHello hello = new FdPassHello(DEFAULT_MAX_NAMES, DEFAULT_MAX_FRAME_LENGTH,
                DEFAULT_MAX_UNANSWERED);
        long lingerMillis = DEFAULT_LINGER_MILLIS;
        /** 0: the bound the socket's send buffer allows. */
        int maxUnreadBytes;
        AccessPolicy accessPolicy = AccessPolicy.ALLOW_ALL;
        Consumer<? super Peer> onConnect;
        Set<PosixFilePermission> socketMode = PosixFilePermissions.fromString("rw-------");
        Executor openExecutor;
        int maxConnections = DEFAULT_MAX_CONNECTIONS;
        /** 0: a share of maxConnections. */
        int maxConnectionsPerUid;
        long frameTimeoutMillis = DEFAULT_FRAME_TIMEOUT_MILLIS;
        long idleTimeoutMillis = DEFAULT_IDLE_TIMEOUT_MILLIS;
        long stallTimeoutMillis = DEFAULT_STALL_TIMEOUT_MILLIS;
        boolean logConnections;
        int listeningFd = -1;
        Confinement.Mode confineMode = Confinement.Mode.IF_AVAILABLE;
        List<Path> confineTo;

        private Builder() {
        }

        /** The path of the socket to create. A stale socket file there is replaced; a live server is not. */
        public Builder socket(Path socket) {
            this.socket = Objects.requireNonNull(socket, "socket");
            this.listeningFd = -1;
            return this;
        }

        /**
         * Serve on a Unix socket that is already bound and listening, such as one that systemd's socket
         * activation hands over ({@code LISTEN_FDS}), instead of creating one: the server neither binds nor
         * unlinks it, and closes only its descriptor. (The epoll transport; Netty 4.2's kqueue channel cannot
         * take a listening descriptor as active: {@link #start()} throws UnsupportedOperationException there.)
         */
        public Builder listeningSocket(int fd) {
            this.listeningFd = atLeast(fd, 0, "fd");
            this.socket = null;
            return this;
        }

        /** Serve the regular files beneath this directory ({@link FileSources#beneath(Path)}). */
        public Builder root(Path root) {
            this.root = Objects.requireNonNull(root, "root");
            this.fileSource = null;
            return this;
        }

        /**
         * Serve the files of other mounts beneath the root too (default: no, PERMISSION_DENIED), but never those of
         * a pseudo filesystem such as proc or sysfs ({@link FileSources#beneath(Path, boolean)}). For a
         * {@link #root(Path)} only.
         */
        public Builder allowMounts(boolean allowMounts) {
            this.allowMounts = allowMounts;
            return this;
        }

        /** Serve what this source opens instead of a root directory; the server does not close it. */
        public Builder fileSource(FileSource fileSource) {
            this.fileSource = Objects.requireNonNull(fileSource, "fileSource");
            this.root = null;
            return this;
        }

        /** Run on this group (shared with your other services) instead of one of the server's own. */
        public Builder eventLoopGroup(EventLoopGroup group) {
            this.group = Objects.requireNonNull(group, "group");
            return this;
        }

        /** Use this transport instead of the first one available on the platform. */
        public Builder transport(FdPassTransport transport) {
            this.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        /** Names per request, announced in HELLO: 1..64, default 64. */
        public Builder maxNames(int maxNames) {
            hello = new FdPassHello(maxNames, hello.maxFrameLength(), hello.maxUnanswered());
            return this;
        }

        /** Largest request frame length, announced in HELLO: 8192..65536, default 65536. */
        public Builder maxFrameLength(int maxFrameLength) {
            hello = new FdPassHello(hello.maxNames(), maxFrameLength, hello.maxUnanswered());
            return this;
        }

        /** Requests a client may have unanswered before the server stops reading it, announced in HELLO: default 32. */
        public Builder maxUnanswered(int maxUnanswered) {
            hello = new FdPassHello(hello.maxNames(), hello.maxFrameLength(), maxUnanswered);
            return this;
        }

        /** How long a connection may linger after its ERROR (or the shutdown) for its client: default 10 s. */
        public Builder linger(Duration linger) {
            this.lingerMillis = nonNegativeMillis(linger, "linger");
            return this;
        }

        /**
         * Bound on what a client has not read yet, in the kernel's accounting (SIOCOUTQ: about 768 bytes per
         * message): no reply is written while the socket's send queue holds more. By default, and never more than,
         * what the socket's send buffer holds with room left for a largest reply (about 143 KiB with Linux's default
         * 208 KiB buffer): Netty fails a descriptor write that finds the buffer full.
         */
        public Builder maxUnreadBytes(int maxUnreadBytes) {
            this.maxUnreadBytes = atLeast(maxUnreadBytes, 1024, "maxUnreadBytes");
            return this;
        }

        /**
         * Connections served at once: default 1024. One more gets HELLO and then ERROR TOO_MANY_CONNECTIONS, and the
         * connections already open go on.
         */
        public Builder maxConnections(int maxConnections) {
            this.maxConnections = atLeast(maxConnections, 1, "maxConnections");
            return this;
        }

        /**
         * Connections served at once for one peer uid: by default an eighth of {@link #maxConnections(int)} (128 of
         * 1024), so that no one user can take every slot. One more of that uid gets HELLO and then ERROR
         * TOO_MANY_CONNECTIONS. A connection closed while its client still has descriptors of it to read counts until
         * the client has read them or closed.
         */
        public Builder maxConnectionsPerUid(int maxConnectionsPerUid) {
            this.maxConnectionsPerUid = atLeast(maxConnectionsPerUid, 1, "maxConnectionsPerUid");
            return this;
        }

        /**
         * How long a frame begun may take to arrive whole: default 10 s; zero for ever. A frame that takes longer
         * gets ERROR TIMED_OUT (after the replies to the requests before it). Time the server spends not reading the
         * connection (backpressure) does not count.
         */
        public Builder frameTimeout(Duration frameTimeout) {
            this.frameTimeoutMillis = nonNegativeMillis(frameTimeout, "frameTimeout");
            return this;
        }

        /**
         * How long a connection with nothing unanswered may stay idle, receiving nothing: default 5 minutes; zero for
         * ever. It then gets ERROR TIMED_OUT; fdpass's client connects again at its next request.
         */
        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeoutMillis = nonNegativeMillis(idleTimeout, "idleTimeout");
            return this;
        }

        /**
         * How long a connection held back because of its clients may wait for them to read anything: default 30 s;
         * zero for ever. A connection is held back when its client has not read enough of what it was sent, or
         * when its own or its uid's share of descriptors in flight is used up; if its clients then read nothing
         * for this long, it gets ERROR TIMED_OUT, its requests not answered yet stay unanswered, and it closes by
         * the closing rule. The descriptors its client was sent and has not read stay counted against its uid until
         * the client reads them or closes its socket: the kernel counts them against the server's user till then.
         */
        public Builder stallTimeout(Duration stallTimeout) {
            this.stallTimeoutMillis = nonNegativeMillis(stallTimeout, "stallTimeout");
            return this;
        }

        /**
         * Log each connection served (its peer's uid, gid and pid) at INFO, as refused connections and names always
         * are: the first few of each kind every 10 s, the rest summarised by uid. Default false.
         */
        public Builder logConnections(boolean logConnections) {
            this.logConnections = logConnections;
            return this;
        }

        /** Who may have which name: default everyone who can connect. */
        public Builder accessPolicy(AccessPolicy accessPolicy) {
            this.accessPolicy = Objects.requireNonNull(accessPolicy, "accessPolicy");
            return this;
        }

        /**
         * Told of each connection as it opens, with the client's credentials (to log who connects, for instance),
         * but not of one refused ({@link #maxConnections(int)}, {@link #maxConnectionsPerUid(int)},
         * {@link AccessPolicy#admits(Peer)}). Called on the connection's event loop: keep it
         * fast and non-blocking. What it throws is logged; the connection goes on.
         */
        public Builder onConnect(Consumer<? super Peer> onConnect) {
            this.onConnect = Objects.requireNonNull(onConnect, "onConnect");
            return this;
        }

        /**
         * The socket file's mode, set before anyone can connect: default {@code rw-------}. Connecting needs write
         * permission on it, so this decides which users can reach the server at all.
         */
        public Builder socketMode(Set<PosixFilePermission> socketMode) {
            this.socketMode = Set.copyOf(socketMode);
            return this;
        }

        /** {@link #socketMode(Set)} from a string such as {@code "rw-rw----"}. */
        public Builder socketMode(String socketMode) {
            return socketMode(PosixFilePermissions.fromString(socketMode));
        }

        /**
         * Where opens run when the file source {@link FileSource#mayBlock() may block} (a network filesystem under
         * the root, a source of yours). By default such opens get a small pool of the server's own; opens that cannot
         * block run on the event loop.
         */
        public Builder openExecutor(Executor openExecutor) {
            this.openExecutor = Objects.requireNonNull(openExecutor, "openExecutor");
            return this;
        }

        /**
         * Whether the threads the server starts (its event loops, its open executor) confine themselves with
         * Landlock before they serve: to reading beneath {@code readable} (by default the root) and the JVM's own
         * files, so that a bug in an opener, a file source or the policy can neither hand out another file nor
         * change one. Default {@link Confinement.Mode#IF_AVAILABLE}; {@link Confinement.Mode#REQUIRED} fails to
         * start without Landlock. Groups and executors of yours are not confined (see
         * {@link FdPassServerInitializer#threadFactory}), nor the JVM's other threads (see {@link Confinement});
         * nor a server with a file source of yours and no {@code readable}.
         */
        public Builder confine(Confinement.Mode mode, Path... readable) {
            this.confineMode = Objects.requireNonNull(mode, "mode");
            this.confineTo = readable.length == 0 ? null : List.of(readable);
            return this;
        }

        /**
         * The server's pipeline setup, for a {@code ServerBootstrap} of your own; the socket settings do not apply.
         * Close it when done: it may own a file source and an open executor.
         */
        public FdPassServerInitializer buildInitializer() throws IOException {
            return ServerStart.initializer(this);
        }

        /**
         * Creates the socket and starts serving.
         *
         * @throws IOException if another server listens on the path, the path is taken by something that is not a
         *         socket, the root cannot be opened, or binding fails
         */
        public FdPassServer start() throws IOException {
            return ServerStart.start(this);
        }

        private static long nonNegativeMillis(Duration duration, String name) {
            if (duration.isNegative()) {
                throw new IllegalArgumentException(name + ": " + duration + " (expected: >= 0)");
            }
            return duration.toMillis();
        }

        private static int atLeast(int value, int min, String name) {
            if (value < min) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: >= " + min + ")");
            }
            return value;
        }
    }
}
