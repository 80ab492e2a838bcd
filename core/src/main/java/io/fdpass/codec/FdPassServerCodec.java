package io.fdpass.codec;

import io.netty.channel.CombinedChannelDuplexHandler;

/** The server's codec: {@link FdPassRequestDecoder} in, {@link FdPassResponseEncoder} out. */
public final class FdPassServerCodec extends CombinedChannelDuplexHandler<FdPassRequestDecoder, FdPassResponseEncoder> {

    /**
     * A codec that holds clients to protocol v1's widest limits.
     *
     * @see FdPassRequestDecoder#FdPassRequestDecoder()
     */
    public FdPassServerCodec() {
        super(new FdPassRequestDecoder(), FdPassResponseEncoder.INSTANCE);
    }

    /**
     * A codec that holds clients to {@code maxNames} and {@code maxFrameLength}, as the server's HELLO announces them.
     *
     * @param maxNames names per request, 1..64
     * @param maxFrameLength largest frame {@code length}, 8192..65536
     * @see FdPassRequestDecoder#FdPassRequestDecoder(int, int)
     */
    public FdPassServerCodec(int maxNames, int maxFrameLength) {
        super(new FdPassRequestDecoder(maxNames, maxFrameLength), FdPassResponseEncoder.INSTANCE);
    }

    /**
     * A codec that holds clients to the limits of the server's {@code hello}.
     *
     * @param hello what the server announces
     * @see FdPassRequestDecoder#FdPassRequestDecoder(FdPassHello)
     */
    public FdPassServerCodec(FdPassHello hello) {
        super(new FdPassRequestDecoder(hello), FdPassResponseEncoder.INSTANCE);
    }

    /**
     * Whether its decoder has read part of a frame and waits for the rest (what a frame timeout watches).
     *
     * @see FdPassRequestDecoder#isInsideFrame()
     */
    public boolean isInsideFrame() {
        return inboundHandler().isInsideFrame();
    }
}
