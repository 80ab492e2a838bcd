package io.fdpass.server;

import io.fdpass.Peer;
import io.fdpass.internal.SocketCalls;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * How one connection ends (protocol v1, "Closing"): the linger timer, the polls of whether the client has read
 * everything, and the close itself. On the connection's event loop only.
 */
final class Closing {
    private static final long CHECK_MILLIS = 10;
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(Closing.class);

    private final ChannelHandlerContext ctx;
    private final Peer peer;
    private final SendQueueBound sendQueue;
    private ScheduledFuture<?> lingerTimer;
    private boolean checkScheduled;

    Closing(ChannelHandlerContext ctx, Peer peer, SendQueueBound sendQueue) {
        this.ctx = ctx;
        this.peer = peer;
        this.sendQueue = sendQueue;
    }

    /** Closes once {@code millis} have passed, whatever the client did: bounded even if it never reads. */
    void startLinger(long millis) {
        if (lingerTimer == null) {
            lingerTimer = ctx.executor().schedule(() -> {
                logger.debug("{} {}: linger timeout, closing", ctx.channel(), peer);
                closeNow();
            }, millis, TimeUnit.MILLISECONDS);
        }
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
     * input makes its peer's next read fail with ECONNRESET rather than see the end of the stream), and handing the
     * descriptor budget what the client may still have to read.
     */
    void closeNow() {
        if (ctx.channel().isOpen()) {
            SocketCalls.discardInput(((UnixChannel) ctx.channel()).fd().intValue());
            sendQueue.retireBeforeClose();
        }
        ctx.close();
    }

    void cancel() {
        if (lingerTimer != null) {
            lingerTimer.cancel(false);
        }
    }
}
