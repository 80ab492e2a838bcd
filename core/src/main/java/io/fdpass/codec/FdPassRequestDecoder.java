package io.fdpass.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Decodes {@link FdPassRequest}s: the server's half of the client-to-server direction. It judges each frame in the
 * order protocol v1 prescribes, as soon as it has the bytes that judgement needs, and throws an
 * {@link FdPassDecoderException} carrying the ERROR code to answer with. Requests decoded before the faulty frame
 * are passed on first; from the fault on, it discards all input.
 */
public final class FdPassRequestDecoder extends ByteToMessageDecoder {
    private enum State {
        READ_HEADER, READ_BODY, DISCARD
    }

    private final int maxNames;
    private final int maxFrameLength;
    private State state = State.READ_HEADER;
    private int bodyLength;

    /** Holds clients to protocol v1's widest limits: 64 names, frames of 65536 bytes. */
    public FdPassRequestDecoder() {
        this(FdPassProtocol.MAX_NAMES_LIMIT, FdPassProtocol.MAX_FRAME_LENGTH_LIMIT);
    }

    /**
     * Holds clients to {@code maxNames} and {@code maxFrameLength}.
     *
     * @param maxNames names per request, 1..64, as the server's HELLO announces
     * @param maxFrameLength largest frame {@code length}, 8192..65536, as the server's HELLO announces
     */
    public FdPassRequestDecoder(int maxNames, int maxFrameLength) {
        this(new FdPassHello(maxNames, maxFrameLength, FdPassProtocol.MAX_UNANSWERED_LIMIT));
    }

    /** Holds clients to the limits of the server's {@code hello}. */
    public FdPassRequestDecoder(FdPassHello hello) {
        this.maxNames = hello.maxNames();
        this.maxFrameLength = hello.maxFrameLength();
    }

    /** Whether a fault was judged: everything after it is discarded. */
    public boolean isDiscarding() {
        return state == State.DISCARD;
    }

    /**
     * Whether a frame has begun and is not complete: some of its bytes were read, not all. A server that times out
     * frames (protocol v1's TIMED_OUT) asks this once a read is done. False once discarding.
     */
    public boolean isInsideFrame() {
        return state == State.READ_BODY || state == State.READ_HEADER && internalBuffer().isReadable();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case READ_HEADER:
                if (in.readableBytes() < 4) {
                    return;
                }
                long length = in.getUnsignedInt(in.readerIndex());
                if (length == 0) {
                    throw fail(in, ErrorCode.MALFORMED_FRAME, "length: 0 (expected: >= 1)");
                }
                if (length > maxFrameLength) {
                    throw fail(in, ErrorCode.FRAME_TOO_LARGE,
                            "length: " + length + " (expected: <= " + maxFrameLength + ")");
                }
                if (in.readableBytes() < FdPassProtocol.HEADER_LENGTH) {
                    return;
                }
                byte type = in.getByte(in.readerIndex() + 4);
                if (type != FdPassProtocol.TYPE_REQUEST) {
                    throw fail(in, ErrorCode.UNSUPPORTED_TYPE,
                            "type: " + FdPassProtocol.typeName(type) + " (expected: REQUEST)");
                }
                in.skipBytes(FdPassProtocol.HEADER_LENGTH);
                bodyLength = (int) length - 1;
                state = State.READ_BODY;
                // fall through
            case READ_BODY:
                if (in.readableBytes() < bodyLength) {
                    return;
                }
                out.add(decodeBody(in));
                state = State.READ_HEADER;
                return;
            case DISCARD:
                in.skipBytes(in.readableBytes());
                return;
            default:
                throw new IllegalStateException(state.name());
        }
    }

    private FdPassRequest decodeBody(ByteBuf in) {
        int start = in.readerIndex();
        int end = start + bodyLength;
        if (bodyLength < FdPassProtocol.REQUEST_FIXED_LENGTH) {
            throw fail(in, ErrorCode.MALFORMED_FRAME,
                    "body: " + bodyLength + " bytes (expected: >= 6 for id and count)");
        }
        int id = in.getInt(start);
        int count = in.getUnsignedShort(start + 4);
        if (count == 0) {
            throw fail(in, ErrorCode.MALFORMED_FRAME, "count: 0 (expected: >= 1)");
        }
        // The whole body is judged before count against maxNames: the protocol's order.
        int index = start + FdPassProtocol.REQUEST_FIXED_LENGTH;
        for (int i = 0; i < count; i++) {
            if (end - index < 2 || end - index - 2 < in.getUnsignedShort(index)) {
                throw fail(in, ErrorCode.MALFORMED_FRAME, "names: " + count + " do not fit the body of "
                        + bodyLength + " bytes");
            }
            index += 2 + in.getUnsignedShort(index);
        }
        if (index != end) {
            throw fail(in, ErrorCode.MALFORMED_FRAME,
                    "names: " + count + " leave " + (end - index) + " bytes of the body unused");
        }
        if (count > maxNames) {
            throw fail(in, ErrorCode.TOO_MANY_NAMES, "count: " + count + " (expected: <= " + maxNames + ")");
        }
        byte[] names = new byte[bodyLength - FdPassProtocol.REQUEST_FIXED_LENGTH];
        in.getBytes(start + FdPassProtocol.REQUEST_FIXED_LENGTH, names);
        in.readerIndex(end);
        return FdPassRequest.wrap(id, count, names);
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (state == State.READ_BODY || (state == State.READ_HEADER && in.isReadable())) {
            throw fail(in, ErrorCode.MALFORMED_FRAME, "end of stream inside a frame");
        }
    }

    private FdPassDecoderException fail(ByteBuf in, ErrorCode code, String message) {
        state = State.DISCARD;
        in.skipBytes(in.readableBytes());
        return new FdPassDecoderException(code, message);
    }
}
