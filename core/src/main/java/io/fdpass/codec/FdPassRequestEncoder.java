package io.fdpass.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** Encodes {@link FdPassRequest}s: the client's half of the client-to-server direction. */
@Sharable
public final class FdPassRequestEncoder extends MessageToByteEncoder<FdPassRequest> {
    /** The one instance: it keeps no state. */
    public static final FdPassRequestEncoder INSTANCE = new FdPassRequestEncoder();

    private FdPassRequestEncoder() {
        super(FdPassRequest.class);
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, FdPassRequest msg, boolean preferDirect) {
        return ctx.alloc().ioBuffer(4 + msg.frameLength());
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, FdPassRequest msg, ByteBuf out) {
        FdPassProtocol.writeHeader(out, FdPassProtocol.TYPE_REQUEST, msg.bodyLength());
        out.writeInt(msg.id());
        out.writeShort(msg.count());
        out.writeBytes(msg.wireNames());
    }
}
