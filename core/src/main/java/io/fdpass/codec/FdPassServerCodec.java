package io.fdpass.codec;

import io.netty.channel.CombinedChannelDuplexHandler;

/** The server's codec: {@link FdPassRequestDecoder} in, {@link FdPassResponseEncoder} out. */
public final class FdPassServerCodec extends CombinedChannelDuplexHandler<FdPassRequestDecoder, FdPassResponseEncoder> {

    /** @see FdPassRequestDecoder#FdPassRequestDecoder() */
    public FdPassServerCodec() {
        super(new FdPassRequestDecoder(), FdPassResponseEncoder.INSTANCE);
    }

    /** @see FdPassRequestDecoder#FdPassRequestDecoder(int, int) */
    public FdPassServerCodec(int maxNames, int maxFrameLength) {
        super(new FdPassRequestDecoder(maxNames, maxFrameLength), FdPassResponseEncoder.INSTANCE);
    }

    /** @see FdPassRequestDecoder#FdPassRequestDecoder(FdPassHello) */
    public FdPassServerCodec(FdPassHello hello) {
        super(new FdPassRequestDecoder(hello), FdPassResponseEncoder.INSTANCE);
    }

    /** @see FdPassRequestDecoder#isInsideFrame() */
    public boolean isInsideFrame() {
        return inboundHandler().isInsideFrame();
    }
}
