package io.fdpass.server;

import io.fdpass.Peer;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassDecoderException;
import io.fdpass.codec.FdPassError;
import io.fdpass.spi.FdPassSocket;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.util.ReferenceCountUtil;

/**
 * Refuses one connection over the server's limits ({@link ConnectionLimits}): HELLO, then ERROR TOO_MANY_CONNECTIONS
 * saying why, then the closing rule with a short linger, whatever the client sends discarded. It was sent no
 * descriptor and counts against nothing. No later handler hears of the connection.
 */
final class RefusedHandler extends ChannelInboundHandlerAdapter {
    /** How long a refused connection lingers at most: it was sent HELLO and the ERROR, and no descriptor. */
    static final long LINGER_MILLIS = 1000;

    private final ServerConfig config;
    private final FdPassSocket socket;
    private final Peer peer;
    private final ConnectionLimits.Admission refusal;
    private Closing closing;

    RefusedHandler(ServerConfig config, FdPassSocket socket, Peer peer, ConnectionLimits.Admission refusal) {
        this.config = config;
        this.socket = socket;
        this.peer = peer;
        this.refusal = refusal;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        closing = new Closing(ctx, socket, peer, Math.min(config.lingerMillis(), LINGER_MILLIS), () -> { });
        ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        config.counters().connectionRefused(refusal.refusal(), peer.uid(), config.limits().open());
        config.log().connectionRefused(peer, refusal.message(), ctx.executor());
        FdPassError error = new FdPassError(ErrorCode.TOO_MANY_CONNECTIONS, refusal.message());
        config.counters().errorSent(error, peer);
        ctx.write(config.hello());
        ctx.writeAndFlush(error).addListener(f -> {
            if (f.isSuccess()) {
                closeIfDone();
            } else {
                closing.closeNow();
            }
        });
        closing.startLinger();
        closing.scheduleCheck(this::closeIfDone);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg); // nothing it sends is read
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A faulty frame changes nothing, and a failed read or write ends it.
        if (!(cause instanceof FdPassDecoderException)) {
            closing.closeNow();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing.cancel();
    }

    /** Closes once the client has read both frames, or closed. */
    private boolean closeIfDone() {
        if (closing.clientReadAll()) {
            closing.closeNow();
            return true;
        }
        return false;
    }
}
