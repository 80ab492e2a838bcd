package io.fdpass.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

import java.nio.charset.StandardCharsets;

/**
 * Encodes the server's frames: {@link FdPassHello}, {@link FdPassReply}, {@link FdPassError}. Descriptors pass it
 * by: the server writes each as Netty's {@code FileDescriptor} right after its REPLY, and the transport sends it as
 * a descriptor message of its own.
 */
@Sharable
public final class FdPassResponseEncoder extends MessageToByteEncoder<FdPassMessage> {
    /** The one instance: it keeps no state. */
    public static final FdPassResponseEncoder INSTANCE = new FdPassResponseEncoder();

    private FdPassResponseEncoder() {
        super(FdPassMessage.class);
    }

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof FdPassReply || msg instanceof FdPassHello || msg instanceof FdPassError;
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, FdPassMessage msg, boolean preferDirect) {
        int size = switch (msg) {
            case FdPassReply reply -> FdPassProtocol.replyFrameLength(reply.count());
            case FdPassHello hello -> FdPassProtocol.HEADER_LENGTH + FdPassProtocol.HELLO_BODY_LENGTH;
            default -> 64;
        };
        return ctx.alloc().ioBuffer(size);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, FdPassMessage msg, ByteBuf out) {
        writeFrame(msg, out);
    }

    /**
     * Writes the frame of a server's message to {@code out}: for a server that must answer outside a pipeline, such
     * as one that refuses a connection it accepted with no descriptor to spare for a channel.
     */
    public static void writeFrame(FdPassMessage msg, ByteBuf out) {
        switch (msg) {
            case FdPassReply reply -> {
                FdPassProtocol.writeHeader(out, FdPassProtocol.TYPE_REPLY,
                        FdPassProtocol.REPLY_FIXED_LENGTH + FdPassProtocol.REPLY_ENTRY_LENGTH * reply.count());
                out.writeInt(reply.id());
                out.writeShort(reply.count());
                for (int i = 0; i < reply.count(); i++) {
                    out.writeByte(reply.statusCode(i));
                    out.writeLong(reply.size(i));
                }
            }
            case FdPassHello hello -> {
                FdPassProtocol.writeHeader(out, FdPassProtocol.TYPE_HELLO, FdPassProtocol.HELLO_BODY_LENGTH);
                out.writeInt(FdPassProtocol.MAGIC);
                out.writeShort(FdPassProtocol.VERSION);
                out.writeShort(hello.maxNames());
                out.writeInt(hello.maxFrameLength());
                out.writeShort(hello.maxUnanswered());
            }
            case FdPassError error -> {
                byte[] message = error.message().getBytes(StandardCharsets.UTF_8);
                FdPassProtocol.writeHeader(out, FdPassProtocol.TYPE_ERROR,
                        FdPassProtocol.ERROR_FIXED_LENGTH + message.length);
                out.writeShort(error.code());
                out.writeShort(message.length);
                out.writeBytes(message);
            }
            case FdPassRequest request -> throw new IllegalArgumentException("a server does not send " + request);
        }
    }
}
