package io.fdpass.codec;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.CombinedChannelDuplexHandler;

/**
 * The client's codec: {@link FdPassResponseDecoder} in, {@link FdPassRequestEncoder} out. It installs the receive
 * buffer allocator its decoder needs on the channel it is added to, tells the decoder of each request written, so
 * that it reads each REPLY at once, and holds the channel's reads while the decoder takes descriptor messages itself
 * ({@link FdPassResponseDecoder#holdsRead()}).
 */
public final class FdPassClientCodec extends CombinedChannelDuplexHandler<FdPassResponseDecoder, FdPassRequestEncoder> {

    /**
     * A codec that accepts frames up to protocol v1's widest limit.
     *
     * @param reader the channel's transport's reader, as {@link FdPassResponseDecoder} needs it
     * @see FdPassResponseDecoder#FdPassResponseDecoder(FdPassSocketReader)
     */
    public FdPassClientCodec(FdPassSocketReader reader) {
        this(FdPassResponseDecoder.DEFAULT_MAX_FRAME_LENGTH, reader);
    }

    /**
     * A codec that accepts frames up to {@code maxFrameLength}.
     *
     * @param maxFrameLength the largest frame {@code length} accepted, 1029..65536
     * @param reader the channel's transport's reader, as {@link FdPassResponseDecoder} needs it
     * @see FdPassResponseDecoder#FdPassResponseDecoder(int, FdPassSocketReader)
     */
    public FdPassClientCodec(int maxFrameLength, FdPassSocketReader reader) {
        super(new FdPassResponseDecoder(maxFrameLength, reader), FdPassRequestEncoder.INSTANCE);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        ctx.channel().config().setRecvByteBufAllocator(inboundHandler().newRecvByteBufAllocator());
        super.handlerAdded(ctx);
    }

    @Override
    public void read(ChannelHandlerContext ctx) throws Exception {
        if (!inboundHandler().holdsRead()) {
            super.read(ctx);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof FdPassRequest request && !promise.isVoid()) {
            int count = request.count();
            // Once written, never before: the REPLY cannot come earlier, and a request that failed gets none.
            promise.addListener(f -> {
                if (f.isSuccess()) {
                    inboundHandler().replyExpected(count);
                }
            });
        }
        super.write(ctx, msg, promise);
    }
}
