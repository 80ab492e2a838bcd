package io.fdpass.server;

import io.fdpass.Peer;
import io.fdpass.spi.FdPassSocket;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * How one connection ends (protocol v1, "Closing"): the linger timer, the polls of whether the client has read
 * everything, and the close itself, for a served connection and a refused one alike. On the connection's event loop
 * only.
 */
final class Closing {
    private static final long CHECK_MILLIS = 10;
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(Closing.class);

    private final ChannelHandlerContext ctx;
    private final FdPassSocket socket;
    private final Peer peer;
    private final long lingerMillis;
    private final Runnable beforeClose;
    private ScheduledFuture<?> lingerTimer;
    private boolean checkScheduled;

    /**
     * @param lingerMillis how long the connection may linger for its client once {@link #startLinger()} is called
     * @param beforeClose runs just before the close, the socket still open
     */
    Closing(ChannelHandlerContext ctx, FdPassSocket socket, Peer peer, long lingerMillis, Runnable beforeClose) {
        this.ctx = ctx;
        this.socket = socket;
        this.peer = peer;
        this.lingerMillis = lingerMillis;
        this.beforeClose = beforeClose;
    }

    /** Closes once the linger timeout has passed, whatever the client did: bounded even if it never reads. */
    void startLinger() {
        if (lingerTimer == null) {
            lingerTimer = ctx.executor().schedule(() -> {
                logger.debug("{} {}: linger timeout, closing", ctx.channel(), peer);
                closeNow();
            }, lingerMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** Whether the client has read everything written to it (or closed, which empties the queue too). */
    boolean clientReadAll() {
        return socket.unreadBytes() <= 0;
    }

    /** Polls {@code closeIfDone} until it says it closed: one chain of polls however often it is asked for. */
    void scheduleCheck(BooleanSupplier closeIfDone) {
        if (checkScheduled) {
            return;
        }
        checkScheduled = true;
        ctx.executor().schedule(() -> {
            checkScheduled = false;
            if (ctx.channel().isActive() && !closeIfDone.getAsBoolean()) {
                scheduleCheck(closeIfDone);
            }
        }, CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Closes, first discarding what the client sent and the server has not read (a Unix socket closed with unread
     * input makes its peer's next read fail with ECONNRESET rather than see the end of the stream).
     */
    void closeNow() {
        if (ctx.channel().isOpen()) {
            socket.discardInput();
            beforeClose.run();
        }
        ctx.close();
    }

    void cancel() {
        if (lingerTimer != null) {
            lingerTimer.cancel(false);
        }
    }
}
