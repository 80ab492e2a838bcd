package io.fdpass.server;

import io.fdpass.Peer;
import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassServerCodec;
import io.fdpass.spi.FdPassSocket;
import io.fdpass.spi.FdPassTransport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;

/**
 * Sets up fdpass on each accepted connection: for a {@code ServerBootstrap} of your own, as the child handler, with
 * {@link #newAcceptHandler()} as the listening channel's handler. It keeps track of the connections it set up, so
 * that {@link #shutdownGracefully()} can end them as protocol v1's "Closing" rule says. Build one with
 * {@link FdPassServer.Builder#buildInitializer()}.
 *
 * <pre>{@code
 * FdPassServerInitializer fdpass = FdPassServer.builder().root(Path.of("/srv/files")).buildInitializer();
 * new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
 *         .handler(fdpass.newAcceptHandler())
 *         .childHandler(fdpass)
 *         .bind(new DomainSocketAddress("/run/files.sock")).sync();
 * // ... serve ...
 * fdpass.shutdownGracefully().join(); // after closing the server channel
 * fdpass.close();
 * }</pre>
 *
 * <p>It confines (see {@link FdPassServer.Builder#confine}) the threads of its own open executor, but it cannot
 * confine event loops it does not start: make them with {@link #threadFactory(ThreadFactory)}.
 */
@Sharable
public final class FdPassServerInitializer extends ChannelInitializer<Channel> implements AutoCloseable {
    /** The connection's peer, set as it is accepted, before any handler sees it. */
    static final AttributeKey<Peer> PEER = AttributeKey.valueOf(FdPassServerInitializer.class, "peer");
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(FdPassServerInitializer.class);

    private final ServerConfig config;
    private final boolean ownsSource;
    private final ChannelHandler onConnect;
    private final Runnable onClose;
    private final ChannelGroup connections = new DefaultChannelGroup("fdpass", GlobalEventExecutor.INSTANCE);
    /** Null when not confined. */
    private final ServerConfinement confinement;

    FdPassServerInitializer(ServerConfig config, boolean ownsSource, Consumer<? super Peer> onConnect,
            Runnable onClose, ServerConfinement confinement) {
        this.config = config;
        this.confinement = confinement;
        this.ownsSource = ownsSource;
        this.onConnect = onConnect == null ? null : new OnConnect(onConnect);
        this.onClose = onClose;
    }

    @Override
    protected void initChannel(Channel ch) {
        initChannel(ch, FdPassTransport.of(ch).socket(ch));
    }

    /**
     * Judges the connection by its peer, as it is accepted: one within the limits is served, with a lease on them
     * that its close gives back; one over them gets HELLO, then ERROR TOO_MANY_CONNECTIONS.
     */
    void initChannel(Channel ch, FdPassSocket socket) {
        connections.add(ch);
        Peer peer;
        try {
            peer = socket.peer();
        } catch (IOException e) {
            logger.warn("{} closed: cannot read the peer's credentials", ch, e);
            ch.close();
            return;
        }
        ch.attr(PEER).set(peer);
        FdPassServerCodec codec = new FdPassServerCodec(config.hello());
        ChannelHandler transportHandler = socket.connectionHandler();
        if (transportHandler != null) {
            ch.pipeline().addLast(transportHandler); // before the codec: it reads and writes the socket
        }
        ConnectionLimits.Admission admission = config.limits().admit(peer);
        if (admission.usage() == null) {
            ch.pipeline().addLast(codec, new RefusedHandler(config, socket, peer, admission));
            return;
        }
        ConnectionLease lease = new ConnectionLease(config.limits(), config.budget(), admission.usage(), socket,
                ch.eventLoop());
        ch.closeFuture().addListener(f -> lease.closed());
        ch.pipeline().addLast(codec, new ServerHandler(config, codec, socket, peer, lease));
        if (onConnect != null) {
            ch.pipeline().addLast(onConnect);
        }
    }

    /**
     * A handler for the listening channel (a {@code ServerBootstrap}'s {@code handler}): when the process has no
     * descriptor free to accept a connection (EMFILE), it refuses the waiting connections with HELLO and ERROR
     * TOO_MANY_CONNECTIONS, rather than leave their clients waiting. One per listening channel.
     */
    public ChannelHandler newAcceptHandler() {
        return new AcceptGuard(config);
    }

    /**
     * After the server handler of an admitted connection, told of the peer in the channel's {@link #PEER} attribute
     * as the connection becomes active. Not needed after that.
     */
    @Sharable
    private static final class OnConnect extends ChannelInboundHandlerAdapter {
        private final Consumer<? super Peer> listener;

        OnConnect(Consumer<? super Peer> listener) {
            this.listener = listener;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Peer peer = ctx.channel().attr(PEER).get();
            try {
                listener.accept(peer);
            } catch (RuntimeException e) {
                logger.warn("{} onConnect failed for {}", ctx.channel(), peer, e);
            }
            ctx.fireChannelActive();
            ctx.pipeline().remove(this);
        }
    }

    /** The limits every connection announces in its HELLO. */
    public FdPassHello limits() {
        return config.hello();
    }

    /** What the connections set up by this initializer did: live counters, read with a snapshot. */
    public FdPassServerStats stats() {
        return config.counters();
    }

    /** Connections served now (refused ones excepted). */
    public int connectionCount() {
        return config.limits().open();
    }

    /**
     * The thread factory for the event loops you run this initializer on, made from yours: each of their threads
     * confines itself to this server's domain (reading beneath its root and the JVM's own files) before it runs
     * anything. {@code delegate} itself when this initializer does not confine (confinement off or unavailable).
     * Give fdpass a group of its own: every other channel on it would be confined too. Such a loop cannot create
     * the socket file: register a listening socket made elsewhere (as {@link FdPassServer.Builder#start()} does on
     * Linux). Close this initializer once the group has terminated; a thread that starts later makes its rules
     * anew, from the paths.
     */
    public ThreadFactory threadFactory(ThreadFactory delegate) {
        return ServerConfinement.threadFactory(confinement, Objects.requireNonNull(delegate, "delegate"));
    }

    /** The domain of the threads it confines; null if none. */
    ServerConfinement confinement() {
        return confinement;
    }

    /**
     * Shuts every connection down as protocol v1's "Closing" says: requests already read are answered, then ERROR
     * SHUTTING_DOWN, then each connection closes once its client has read everything, has closed its end, or the
     * linger timeout passed. Stop accepting first (close the server channel). Completes when all are closed.
     */
    public CompletableFuture<Void> shutdownGracefully() {
        if (confinement != null) {
            confinement.holdGlobalExecutor(); // until close()
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        for (Channel ch : connections) {
            ch.pipeline().fireUserEventTriggered(ShutdownEvent.INSTANCE);
        }
        connections.newCloseFuture().addListener(f -> done.complete(null));
        return done;
    }

    /**
     * Releases what this initializer owns (the file source it opened, its open executor, the sockets it kept for
     * descriptors their clients had not read, its domain's rules) and logs what its log had counted and not yet
     * logged.
     */
    @Override
    public void close() {
        try {
            config.budget().close();
            config.log().flush();
            if (ownsSource) {
                config.source().close();
            }
            onClose.run();
        } finally {
            if (confinement != null) {
                confinement.close();
            }
        }
    }
}
