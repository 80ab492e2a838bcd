package io.fdpass.server;

import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassError;
import io.fdpass.codec.FdPassResponseEncoder;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.SocketCalls;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.UnixChannel;

/**
 * Refuses, rather than leaves waiting, the connections that arrive while the server has no descriptor free: a handler
 * of the listening channel. When accept(2) fails with EMFILE or ENFILE, Netty leaves the connection in the backlog
 * and pauses accepting for a second, and its client waits for a HELLO meanwhile. This handler keeps one descriptor in
 * reserve (a duplicate of the listening socket's: no path is opened, which an event loop confined with Landlock
 * could not do); on EMFILE it closes it, accepts each waiting connection with the descriptor so
 * freed, sends it HELLO and ERROR TOO_MANY_CONNECTIONS, closes it, and takes its reserve again. Those connections
 * were sent no descriptor, so closing them at once loses their clients nothing (protocol v1, "Closing"). One per
 * listening channel; on its event loop only.
 */
final class AcceptGuard extends ChannelInboundHandlerAdapter {
    /** Connections refused in one go at most, so that a flood of them does not hold the event loop. */
    private static final int MAX_REFUSED_AT_ONCE = 256;
    static final String NO_DESCRIPTOR = "too many connections: the server has no descriptor free";

    private final ServerConfig config;
    private final byte[] refusal;
    private int reserve = -1;

    public AcceptGuard(ServerConfig config) {
        this.config = config;
        ByteBuf frames = Unpooled.buffer();
        try {
            FdPassResponseEncoder.writeFrame(config.hello(), frames);
            FdPassResponseEncoder.writeFrame(new FdPassError(ErrorCode.TOO_MANY_CONNECTIONS, NO_DESCRIPTOR), frames);
            refusal = ByteBufUtil.getBytes(frames);
        } finally {
            frames.release();
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        reserve = openReserve(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (reserve >= 0) {
            Descriptors.close(reserve);
            reserve = -1;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Errors.NativeIoException e
                && (e.expectedErr() == -Errno.EMFILE || e.expectedErr() == -Errno.ENFILE) && refuseWaiting(ctx)) {
            return;
        }
        ctx.fireExceptionCaught(cause); // Netty's way: accepting pauses for a second, and is tried again
    }

    /** Refuses the connections waiting to be accepted; false if it had no descriptor in reserve to do it with. */
    private boolean refuseWaiting(ChannelHandlerContext ctx) {
        if (!ctx.channel().isOpen()) {
            return true;
        }
        if (reserve < 0) {
            reserve = openReserve(ctx);
            if (reserve < 0) {
                return false;
            }
        }
        int listening = ((UnixChannel) ctx.channel()).fd().intValue();
        Descriptors.close(reserve);
        reserve = -1;
        int refused = 0;
        int fd = 0;
        while (refused < MAX_REFUSED_AT_ONCE && (fd = SocketCalls.accept(listening)) >= 0) {
            SocketCalls.send(fd, refusal); // into an empty socket buffer: it does not block, and fits
            SocketCalls.discardInput(fd);
            Descriptors.close(fd);
            refused++;
        }
        reserve = openReserve(ctx);
        for (int i = 0; i < refused; i++) {
            config.counters().connectionRefused(ConnectionLimits.Refusal.NO_DESCRIPTOR, -1, config.limits().open());
            config.log().connectionRefused(null, NO_DESCRIPTOR, ctx.executor());
        }
        if (fd >= 0) {
            // Stopped at the most at once, with more waiting: go on after what else the event loop has to do.
            ctx.executor().execute(() -> refuseWaiting(ctx));
        }
        return refused > 0 || fd == -Errno.EAGAIN;
    }

    private static int openReserve(ChannelHandlerContext ctx) {
        return Descriptors.dup(((UnixChannel) ctx.channel()).fd().intValue());
    }
}
