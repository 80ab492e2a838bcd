package io.fdpass.codec;

import io.netty.buffer.ByteBuf;

/**
 * Protocol v1's numbers and limits, in one place: the framing every message shares ({@code u32 length} of type and
 * body, {@code u8 type}, body), the HELLO's magic and version, and the bounds a server may announce.
 */
public final class FdPassProtocol {
    /** The protocol version a HELLO announces, and the only one this implementation speaks. */
    public static final int VERSION = 1;
    /** The first four bytes of every HELLO body: {@code "FDPS"}. */
    public static final int MAGIC = 0x46445053;

    /** Bytes of {@code length} and {@code type}: what a receiver reads before it knows a frame's size. */
    public static final int HEADER_LENGTH = 5;

    /** The type of a REQUEST frame (client to server). */
    public static final byte TYPE_REQUEST = 0x01;
    /** The type of a REPLY frame (server to client). */
    public static final byte TYPE_REPLY = 0x02;
    /** The type of an ERROR frame (server to client). */
    public static final byte TYPE_ERROR = 0x03;
    /** The type of a HELLO frame (server to client, first). */
    public static final byte TYPE_HELLO = 0x04;

    /** Bytes of a v1 HELLO body; later versions may send more, which v1 clients ignore. */
    public static final int HELLO_BODY_LENGTH = 14;
    /** Fixed part of a REQUEST body: {@code u32 id, u16 count}. */
    public static final int REQUEST_FIXED_LENGTH = 6;
    /** Fixed part of a REPLY body: {@code u32 id, u16 count}. */
    public static final int REPLY_FIXED_LENGTH = 6;
    /** One REPLY entry: {@code u8 status, u64 size}. */
    public static final int REPLY_ENTRY_LENGTH = 9;
    /** Fixed part of an ERROR body: {@code u16 code, u16 msgLength}. */
    public static final int ERROR_FIXED_LENGTH = 4;

    /** The most names a HELLO may announce per REQUEST. */
    public static final int MAX_NAMES_LIMIT = 64;
    /** The lower bound of the largest REQUEST {@code length} a HELLO may announce. */
    public static final int MIN_FRAME_LENGTH_LIMIT = 8192;
    /** The upper bound of the largest REQUEST {@code length} a HELLO may announce. */
    public static final int MAX_FRAME_LENGTH_LIMIT = 65536;
    /** The most unanswered requests a HELLO may announce. */
    public static final int MAX_UNANSWERED_LIMIT = 65535;
    /** Bytes of the longest valid name (protocol v1, "Names"); the wire's {@code u16 nameLength} carries more. */
    public static final int MAX_NAME_LENGTH = 4096;
    /** Bytes of the longest ERROR message, in UTF-8. */
    public static final int MAX_MESSAGE_LENGTH = 1024;
    /** What a {@code u16} holds: the wire's bound on counts, name lengths and codes. */
    public static final int MAX_U16 = 65535;
    /** What a {@code u8} holds: the wire's bound on entry status codes. */
    public static final int MAX_U8 = 255;
    /** The smallest frame {@code length} a client must accept: room for an ERROR with its longest message. */
    public static final int MIN_CLIENT_FRAME_LENGTH = 1 + ERROR_FIXED_LENGTH + MAX_MESSAGE_LENGTH;

    private FdPassProtocol() {
    }

    /** What a REPLY for {@code count} names occupies on the wire: {@code 11 + 9 × count} bytes. */
    public static int replyFrameLength(int count) {
        return HEADER_LENGTH + REPLY_FIXED_LENGTH + REPLY_ENTRY_LENGTH * count;
    }

    /** A frame type's name for messages; unknown types in hex. */
    public static String typeName(int type) {
        return switch (type) {
            case TYPE_REQUEST -> "REQUEST";
            case TYPE_REPLY -> "REPLY";
            case TYPE_ERROR -> "ERROR";
            case TYPE_HELLO -> "HELLO";
            default -> "0x" + Integer.toHexString(type & 0xff);
        };
    }

    /** Writes a frame's header for a body of {@code bodyLength} bytes. */
    static void writeHeader(ByteBuf out, byte type, int bodyLength) {
        out.writeInt(bodyLength + 1);
        out.writeByte(type);
    }
}
