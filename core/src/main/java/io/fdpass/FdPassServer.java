package io.fdpass;

import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassRequestDecoder;
import io.fdpass.codec.FdPassServerHandler;
import io.fdpass.codec.FdPassServerStats;
import io.fdpass.internal.Checks;
import io.fdpass.internal.Transports;
import io.fdpass.spi.FdPassTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Channel serverChannel;
    private final Path socket;
    private final Object socketKey;
    private final FdPassServerInitializer initializer;
    private final EventLoopGroup ownedGroup;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final long lingerMillis;

    private FdPassServer(Channel serverChannel, Path socket, Object socketKey, FdPassServerInitializer initializer,
            EventLoopGroup ownedGroup, long lingerMillis) {
        this.serverChannel = serverChannel;
        this.socket = socket;
        this.socketKey = socketKey;
        this.initializer = initializer;
        this.ownedGroup = ownedGroup;
        this.lingerMillis = lingerMillis;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The path the server created and listens on; null when it was handed a listening socket. */
    public Path socketPath() {
        return socket;
    }

    /** The limits the server announces in HELLO. */
    public FdPassHello hello() {
        return initializer.hello();
    }

    /** What the server did so far: {@code stats().snapshot()} reads every counter. */
    public FdPassServerStats stats() {
        return initializer.stats();
    }

    /** Connections open now. */
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
                unlinkSocket();
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
            logger.warn("fdpass server on {} did not shut down in time", socket, e);
        }
    }

    private void release() {
        try {
            initializer.close();
        } finally {
            if (ownedGroup != null) {
                ownedGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS)
                        .addListener(f -> closed.complete(null));
            } else {
                closed.complete(null);
            }
        }
    }

    private void unlinkSocket() {
        if (socket == null) {
            return; // handed to us: whoever bound it owns the path
        }
        try {
            // Only our own socket: a path that now names another file belongs to someone else.
            BasicFileAttributes attrs = Files.readAttributes(socket, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (Objects.equals(attrs.fileKey(), socketKey)) {
                Files.delete(socket);
            }
        } catch (NoSuchFileException ignored) {
            // Already gone.
        } catch (IOException e) {
            logger.warn("cannot remove socket file {}", socket, e);
        }
    }

    /** Configures and starts a server. Every setting but the socket and the root (or a file source) has a default. */
    public static final class Builder {
        private Path socket;
        private Path root;
        private FileSource fileSource;
        private EventLoopGroup group;
        private FdPassTransport transport;
        private int maxNames = FdPassRequestDecoder.DEFAULT_MAX_NAMES;
        private int maxFrameLength = FdPassRequestDecoder.DEFAULT_MAX_FRAME_LENGTH;
        private int maxUnanswered = 32;
        private long lingerMillis = FdPassServerHandler.DEFAULT_LINGER_MILLIS;
        private int maxUnreadBytes = FdPassServerHandler.AUTO_MAX_UNREAD_BYTES;
        private AccessPolicy accessPolicy = AccessPolicy.ALLOW_ALL;
        private Consumer<? super Peer> onConnect;
        private Set<PosixFilePermission> socketMode = PosixFilePermissions.fromString("rw-------");
        private Executor openExecutor;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int listeningFd = -1;

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
            this.listeningFd = Checks.checkInRange(fd, 0, Integer.MAX_VALUE, "fd");
            this.socket = null;
            return this;
        }

        /** Serve the regular files beneath this directory ({@link FileSource#beneath(Path)}). */
        public Builder root(Path root) {
            this.root = Objects.requireNonNull(root, "root");
            this.fileSource = null;
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
            this.maxNames = Checks.checkInRange(maxNames, 1, FdPassHello.MAX_NAMES_LIMIT, "maxNames");
            return this;
        }

        /** Largest request frame length, announced in HELLO: 8192..65536, default 65536. */
        public Builder maxFrameLength(int maxFrameLength) {
            this.maxFrameLength = Checks.checkInRange(maxFrameLength, FdPassHello.MIN_FRAME_LENGTH_LIMIT,
                    FdPassHello.MAX_FRAME_LENGTH_LIMIT, "maxFrameLength");
            return this;
        }

        /** Requests a client may have unanswered before the server stops reading it, announced in HELLO: default 32. */
        public Builder maxUnanswered(int maxUnanswered) {
            this.maxUnanswered = Checks.checkInRange(maxUnanswered, 1, FdPassHello.MAX_UNANSWERED_LIMIT,
                    "maxUnanswered");
            return this;
        }

        /** How long a connection may linger after its ERROR (or the shutdown) for its client: default 10 s. */
        public Builder linger(Duration linger) {
            if (linger.isNegative()) {
                throw new IllegalArgumentException("linger: " + linger + " (expected: >= 0)");
            }
            this.lingerMillis = linger.toMillis();
            return this;
        }

        /**
         * Bound on what a client has not read yet, in the kernel's accounting (SIOCOUTQ: about 768 bytes per
         * message): no reply is written while the socket's send queue holds more. By default, and never more than,
         * what the socket's send buffer holds with room left for a largest reply (about 143 KiB with Linux's default
         * 208 KiB buffer): Netty fails a descriptor write that finds the buffer full.
         */
        public Builder maxUnreadBytes(int maxUnreadBytes) {
            this.maxUnreadBytes = Checks.checkInRange(maxUnreadBytes, 1024, Integer.MAX_VALUE, "maxUnreadBytes");
            return this;
        }

        /**
         * Connections served at once: default 1024. One more is closed as soon as it is accepted, before HELLO, and
         * the connections already open go on.
         */
        public Builder maxConnections(int maxConnections) {
            this.maxConnections = Checks.checkInRange(maxConnections, 1, Integer.MAX_VALUE, "maxConnections");
            return this;
        }

        /** Who may have which name: default everyone who can connect. */
        public Builder accessPolicy(AccessPolicy accessPolicy) {
            this.accessPolicy = Objects.requireNonNull(accessPolicy, "accessPolicy");
            return this;
        }

        /**
         * Told of each connection as it opens, with the client's credentials (to log who connects, for instance),
         * but not of one refused by {@link #maxConnections(int)}. Called on the connection's event loop: keep it
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
         * The server's pipeline setup, for a {@code ServerBootstrap} of your own; the socket settings do not apply.
         * Close it when done: it may own a file source and an open executor.
         */
        public FdPassServerInitializer buildInitializer() throws IOException {
            FileSource source = fileSource;
            boolean ownsSource = false;
            if (source == null) {
                if (root == null) {
                    throw new IllegalStateException("neither root nor fileSource set");
                }
                source = FileSource.beneath(root);
                ownsSource = true;
            }
            Executor executor = openExecutor;
            Runnable onClose = () -> { };
            if (executor == null && source.mayBlock()) {
                ExecutorService pool = Executors.newFixedThreadPool(
                        Math.max(2, Runtime.getRuntime().availableProcessors()),
                        new DefaultThreadFactory("fdpass-open", true));
                executor = pool;
                onClose = pool::shutdown;
            }
            return new FdPassServerInitializer(new FdPassHello(maxNames, maxFrameLength, maxUnanswered), source,
                    ownsSource, accessPolicy, onConnect, lingerMillis, maxUnreadBytes, maxConnections, executor,
                    onClose);
        }

        /**
         * Creates the socket and starts serving.
         *
         * @throws IOException if another server listens on the path, the path is taken by something that is not a
         *         socket, the root cannot be opened, or binding fails
         */
        public FdPassServer start() throws IOException {
            if (socket == null && listeningFd < 0) {
                throw new IllegalStateException("neither socket nor listeningSocket set");
            }
            Path path = socket == null ? null : socket.toAbsolutePath();
            FdPassTransport chosen = transport != null ? Transports.checkAvailable(transport) : Transports.pick();
            if (path != null) {
                claim(path);
            }
            FdPassServerInitializer initializer = buildInitializer();
            // Unix sockets only connect processes of this machine: every client shares its cores with the server.
            // Half the cores each (one of two here) served a pipelining client best; two threads halved it.
            EventLoopGroup ownedGroup = group == null
                    ? new MultiThreadIoEventLoopGroup(Math.max(1, Runtime.getRuntime().availableProcessors() / 2),
                            new DefaultThreadFactory("fdpass-server", true),
                            chosen.newIoHandlerFactory())
                    : null;
            try {
                EventLoopGroup loops = group != null ? group : ownedGroup;
                if (path == null) {
                    Channel channel = serveInherited(chosen, loops, initializer);
                    logger.debug("fdpass server on listening socket {} ({})", listeningFd, chosen.name());
                    return new FdPassServer(channel, null, null, initializer, ownedGroup, lingerMillis);
                }
                Channel channel = bindPrivately(path, chosen, loops, initializer);
                Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                        .fileKey();
                logger.debug("fdpass server listening on {} ({})", path, chosen.name());
                return new FdPassServer(channel, path, key, initializer, ownedGroup, lingerMillis);
            } catch (IOException | RuntimeException e) {
                initializer.close();
                if (ownedGroup != null) {
                    ownedGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS);
                }
                throw e;
            }
        }

        private Channel serveInherited(FdPassTransport chosen, EventLoopGroup loops,
                FdPassServerInitializer initializer) throws IOException {
            ServerChannel inherited = chosen.newServerChannel(listeningFd);
            ChannelFuture registered = new ServerBootstrap().group(loops)
                    .channelFactory(() -> inherited)
                    .childHandler(initializer)
                    .register()
                    .awaitUninterruptibly();
            if (!registered.isSuccess() || !registered.channel().isActive()) {
                registered.channel().close().awaitUninterruptibly();
                throw new IOException("listening socket " + listeningFd + ": cannot serve on it: "
                        + (registered.cause() != null ? registered.cause().getMessage() : "not active"),
                        registered.cause());
            }
            return registered.channel();
        }

        /** Refuses a path where a server listens or that is not a socket; removes a stale socket file. */
        private static void claim(Path path) throws IOException {
            BasicFileAttributes attrs;
            try {
                attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return;
            }
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isOther() || (mode & S_IFMT) != S_IFSOCK) {
                throw new IOException("socket: " + path + " exists and is not a socket");
            }
            try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                probe.connect(UnixDomainSocketAddress.of(path));
                throw new IOException("socket: another server is listening on " + path);
            } catch (ConnectException e) {
                logger.debug("replacing stale socket file {}", path);
                Files.deleteIfExists(path);
            }
        }

        /**
         * Binds in a private directory, sets the mode, then renames the socket into place, so that no one can
         * connect before the mode holds (binding and listening are one step in Netty, and umask is per process).
         */
        private Channel bindPrivately(Path path, FdPassTransport chosen, EventLoopGroup loops,
                FdPassServerInitializer initializer) throws IOException {
            Path dir = Files.createTempDirectory(path.getParent(), ".fdpass-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path staging = dir.resolve("s");
            Channel channel = null;
            try {
                ChannelFuture bound = new ServerBootstrap().group(loops)
                        .channel(chosen.serverChannelClass())
                        .childHandler(initializer)
                        .bind(new DomainSocketAddress(staging.toString()))
                        .awaitUninterruptibly();
                if (!bound.isSuccess()) {
                    throw new IOException("socket: cannot listen on " + path + ": " + bound.cause().getMessage(),
                            bound.cause());
                }
                channel = bound.channel();
                Files.setPosixFilePermissions(staging, socketMode);
                try {
                    Files.move(staging, path, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("socket: " + path + " must be on a filesystem that can rename a socket "
                            + "into place", e);
                }
                return channel;
            } catch (IOException | RuntimeException e) {
                if (channel != null) {
                    channel.close().awaitUninterruptibly();
                }
                Files.deleteIfExists(staging);
                throw e;
            } finally {
                Files.deleteIfExists(dir);
            }
        }
    }
}
