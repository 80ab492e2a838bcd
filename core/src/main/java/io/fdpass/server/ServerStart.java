package io.fdpass.server;

import io.fdpass.FileSource;
import io.fdpass.spi.FdPassTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Ticker;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** What {@link FdPassServer.Builder} builds: the initializer with every part of a server, and a server started. */
final class ServerStart {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(FdPassServer.class);

    private ServerStart() {
    }

    /** @see FdPassServer.Builder#buildInitializer() */
    static FdPassServerInitializer initializer(FdPassServer.Builder b) throws IOException {
        FileSource source = b.fileSource;
        if (source != null && b.allowMounts) {
            throw new IllegalStateException("allowMounts applies to a root, not to a fileSource");
        }
        boolean ownsSource = false;
        if (source == null) {
            if (b.root == null) {
                throw new IllegalStateException("neither root nor fileSource set");
            }
            source = FileSources.beneath(b.root, b.allowMounts);
            ownsSource = true;
        }
        List<Path> readable = b.confineTo != null ? b.confineTo : b.fileSource == null ? List.of(b.root) : null;
        ServerConfinement confinement = ServerConfinement.prepare(b.confineMode, readable,
                ownsSource ? source : null);
        Executor executor = b.openExecutor;
        Runnable onClose = () -> { };
        if (executor == null && source.mayBlock()) {
            ExecutorService pool = Executors.newFixedThreadPool(
                    Math.max(2, Runtime.getRuntime().availableProcessors()),
                    ServerConfinement.threadFactory(confinement, new DefaultThreadFactory("fdpass-open", true)));
            executor = pool;
            onClose = pool::shutdown;
        }
        ConnectionLimits limits = new ConnectionLimits(b.maxConnections, b.maxConnectionsPerUid > 0
                ? b.maxConnectionsPerUid : Math.max(1, b.maxConnections / FdPassServer.DEFAULT_CONNECTIONS_PER_UID_DIVISOR),
                b.accessPolicy);
        DescriptorBudget budget = new DescriptorBudget(b.hello.maxNames(), Ticker.systemTicker());
        ServerConfig config = new ServerConfig(b.hello, source, b.accessPolicy, b.lingerMillis, b.maxUnreadBytes,
                b.frameTimeoutMillis, b.idleTimeoutMillis, b.stallTimeoutMillis, executor, limits, budget,
                new ServerCounters(budget::inFlight),
                new ActivityLog(FdPassServer.LOG_INTERVAL_MILLIS, b.logConnections, Ticker.systemTicker()));
        return new FdPassServerInitializer(config, ownsSource, b.onConnect, onClose, confinement);
    }

    /** @see FdPassServer.Builder#start() */
    static FdPassServer start(FdPassServer.Builder b) throws IOException {
        if (b.socket == null && b.listeningFd < 0) {
            throw new IllegalStateException("neither socket nor listeningSocket set");
        }
        Path path = b.socket == null ? null : b.socket.toAbsolutePath();
        FdPassTransport chosen = b.transport != null ? b.transport.ensureAvailable() : FdPassTransport.preferred();
        if (path != null) {
            SocketFile.claim(path);
        }
        FdPassServerInitializer initializer = initializer(b);
        // Unix sockets only connect processes of this machine: every client shares its cores with the server.
        // Half the cores each (one of two here) served a pipelining client best; two threads halved it.
        EventLoopGroup ownedGroup = b.group == null
                ? new MultiThreadIoEventLoopGroup(Math.max(1, Runtime.getRuntime().availableProcessors() / 2),
                        initializer.threadFactory(new DefaultThreadFactory("fdpass-server", true)),
                        chosen.newIoHandlerFactory())
                : null;
        try {
            if (initializer.confinement() != null) {
                initializer.confinement().logStarted(path != null ? path : "socket " + b.listeningFd, b.group == null);
            }
            ServerBootstrap bootstrap = new ServerBootstrap().group(b.group != null ? b.group : ownedGroup)
                    .handler(initializer.newAcceptHandler())
                    .childHandler(initializer);
            if (path == null) {
                Channel channel = SocketFile.register(bootstrap, chosen.newServerChannel(b.listeningFd),
                        "listening socket " + b.listeningFd);
                logger.debug("fdpass server on listening socket {} ({})", b.listeningFd, chosen.name());
                return new FdPassServer(channel, null, initializer, ownedGroup, b.lingerMillis);
            }
            SocketFile.Bound bound = SocketFile.bind(path, b.socketMode, bootstrap, chosen);
            logger.debug("fdpass server listening on {} ({})", path, chosen.name());
            return new FdPassServer(bound.channel(), bound.file(), initializer, ownedGroup, b.lingerMillis);
        } catch (IOException | RuntimeException e) {
            initializer.close();
            if (ownedGroup != null) {
                ownedGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            }
            throw e;
        }
    }
}
