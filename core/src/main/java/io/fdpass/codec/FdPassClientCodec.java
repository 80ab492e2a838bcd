package io.fdpass.codec;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;

/**
 * The client's codec: {@link FdPassResponseDecoder} in, {@link FdPassRequestEncoder} out. It installs the
 * {@link FdPassRecvByteBufAllocator} its decoder needs on the channel it is added to.
 */
public final class FdPassClientCodec extends CombinedChannelDuplexHandler<FdPassResponseDecoder, FdPassRequestEncoder> {

    public FdPassClientCodec() {
        this(FdPassResponseDecoder.DEFAULT_MAX_FRAME_LENGTH);
    }

    /** @see FdPassResponseDecoder#FdPassResponseDecoder(int) */
    public FdPassClientCodec(int maxFrameLength) {
        super(new FdPassResponseDecoder(maxFrameLength), FdPassRequestEncoder.INSTANCE);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        ctx.channel().config().setRecvByteBufAllocator(new FdPassRecvByteBufAllocator(inboundHandler()));
        super.handlerAdded(ctx);
    }
}
