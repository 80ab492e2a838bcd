package io.fdpass.codec;

import io.netty.channel.CombinedChannelDuplexHandler;

/** The server's codec: {@link FdPassRequestDecoder} in, {@link FdPassResponseEncoder} out. */
public final class FdPassServerCodec extends CombinedChannelDuplexHandler<FdPassRequestDecoder, FdPassResponseEncoder> {

    public FdPassServerCodec() {
        this(FdPassRequestDecoder.DEFAULT_MAX_NAMES, FdPassRequestDecoder.DEFAULT_MAX_FRAME_LENGTH);
    }

    /** @see FdPassRequestDecoder#FdPassRequestDecoder(int, int) */
    public FdPassServerCodec(int maxNames, int maxFrameLength) {
        super(new FdPassRequestDecoder(maxNames, maxFrameLength), FdPassResponseEncoder.INSTANCE);
    }
}
