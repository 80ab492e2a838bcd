package io.fdpass.codec;

import io.netty.buffer.ByteBuf;

/**
 * The framing that every protocol v1 message shares: {@code u32 length} (type + body), {@code u8 type}, body.
 * The one place that knows the wire's numbers.
 */
public final class FdPassFrames {
    /** Bytes of {@code length} and {@code type}: what a receiver reads before it knows a frame's size. */
    public static final int HEADER_LENGTH = 5;

    public static final byte TYPE_REQUEST = 0x01;
    public static final byte TYPE_REPLY = 0x02;
    public static final byte TYPE_ERROR = 0x03;
    public static final byte TYPE_HELLO = 0x04;

    /** Fixed part of a REQUEST body: {@code u32 id, u16 count}. */
    static final int REQUEST_FIXED_LENGTH = 6;
    /** Fixed part of a REPLY body, and the size of one of its entries ({@code u8 status, u64 size}). */
    static final int REPLY_FIXED_LENGTH = 6;
    static final int REPLY_ENTRY_LENGTH = 9;
    /** Fixed part of an ERROR body: {@code u16 code, u16 msgLength}. */
    static final int ERROR_FIXED_LENGTH = 4;

    private FdPassFrames() {
    }

    /** Writes a frame's header for a body of {@code bodyLength} bytes. */
    static void writeHeader(ByteBuf out, byte type, int bodyLength) {
        out.writeInt(bodyLength + 1);
        out.writeByte(type);
    }

    /** What a REPLY for {@code count} names occupies on the wire: {@code 11 + 9 × count} bytes. */
    public static int replyFrameLength(int count) {
        return HEADER_LENGTH + REPLY_FIXED_LENGTH + REPLY_ENTRY_LENGTH * count;
    }

    static String typeName(int type) {
        return switch (type) {
            case TYPE_REQUEST -> "REQUEST";
            case TYPE_REPLY -> "REPLY";
            case TYPE_ERROR -> "ERROR";
            case TYPE_HELLO -> "HELLO";
            default -> "0x" + Integer.toHexString(type & 0xff);
        };
    }
}
