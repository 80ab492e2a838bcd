package io.fdpass.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * REQUEST: the names a client wants opened, under an id of its choosing that the REPLY echoes.
 *
 * <p>Names are bytes, not strings: a name that is not valid UTF-8 still travels, and the server answers it
 * INVALID_NAME without failing the rest of the request. They are kept as the wire has them, each behind its
 * {@code u16} length, in one array: what a decoder reads is one copy, whatever the count.
 */
public final class FdPassRequest implements FdPassMessage {
    private final int id;
    private final int count;
    /** {@code (u16 nameLength, name)} times count. */
    private final byte[] names;

    private FdPassRequest(int id, int count, byte[] names) {
        this.id = id;
        this.count = count;
        this.names = names;
    }

    /**
     * A request for names given as bytes, sent as they are.
     *
     * @param id any 32-bit value, read as unsigned on the wire
     * @param names 1..65535 names, each of 0..65535 bytes (the server judges their content; a server's HELLO lowers
     *        the count to at most 64, and valid names have at most 4096 bytes)
     */
    public FdPassRequest(int id, List<byte[]> names) {
        this(id, names.size(), pack(names.toArray(byte[][]::new)));
    }

    /** A request for names given as strings, encoded as UTF-8. */
    public static FdPassRequest of(int id, String... names) {
        byte[][] bytes = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            bytes[i] = names[i].getBytes(StandardCharsets.UTF_8);
        }
        return new FdPassRequest(id, names.length, pack(bytes));
    }

    /**
     * Takes the names as the wire has them, already judged to fill {@code names} exactly: for the decoder, which
     * made the array.
     */
    static FdPassRequest wrap(int id, int count, byte[] names) {
        return new FdPassRequest(id, count, names);
    }

    private static byte[] pack(byte[][] names) {
        Checks.checkInRange(names.length, 1, FdPassProtocol.MAX_U16, "count");
        int length = 0;
        for (byte[] name : names) {
            length += 2 + Checks.checkInRange(name.length, 0, FdPassProtocol.MAX_U16, "nameLength");
        }
        byte[] packed = new byte[length];
        int at = 0;
        for (byte[] name : names) {
            packed[at] = (byte) (name.length >>> 8);
            packed[at + 1] = (byte) name.length;
            System.arraycopy(name, 0, packed, at + 2, name.length);
            at += 2 + name.length;
        }
        return packed;
    }

    /** The id, as an unsigned 32-bit value ({@link Integer#toUnsignedLong} reads it). */
    public int id() {
        return id;
    }

    /** How many names it holds. */
    public int count() {
        return count;
    }

    /** A copy of the {@code index}th name's bytes. */
    public byte[] name(int index) {
        int at = offset(index);
        return Arrays.copyOfRange(names, at + 2, at + 2 + length(at));
    }

    /** The length of the {@code index}th name, in bytes. */
    public int nameLength(int index) {
        return length(offset(index));
    }

    /**
     * Copies the {@code index}th name's bytes to the start of {@code dst}, which has room for
     * {@link #nameLength(int)} of them: a name without an array of its own.
     */
    public void getName(int index, byte[] dst) {
        int at = offset(index);
        System.arraycopy(names, at + 2, dst, 0, length(at));
    }

    /** The {@code index}th name as text, with malformed UTF-8 replaced: for logs and messages. */
    public String nameAsString(int index) {
        int at = offset(index);
        return new String(names, at + 2, length(at), StandardCharsets.UTF_8);
    }

    /** Where the {@code index}th name's length is in {@link #names}. */
    private int offset(int index) {
        if (index < 0 || index >= count) {
            throw new IndexOutOfBoundsException("index: " + index + " (expected: 0.." + (count - 1) + ")");
        }
        int at = 0;
        for (int i = 0; i < index; i++) {
            at += 2 + length(at);
        }
        return at;
    }

    private int length(int at) {
        return (names[at] & 0xff) << 8 | names[at + 1] & 0xff;
    }

    /** The names as the wire has them, not a copy: for the encoder. */
    byte[] wireNames() {
        return names;
    }

    /** Bytes of the body on the wire. */
    int bodyLength() {
        return FdPassProtocol.REQUEST_FIXED_LENGTH + names.length;
    }

    /** The frame's {@code length} field (type and body): what a server's HELLO {@code maxFrameLength} bounds. */
    public int frameLength() {
        return 1 + bodyLength();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FdPassRequest r && r.id == id && r.count == count && Arrays.equals(r.names, names);
    }

    @Override
    public int hashCode() {
        return (id * 31 + count) * 31 + Arrays.hashCode(names);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("REQUEST(id=").append(Integer.toUnsignedString(id)).append(", names=[");
        for (int i = 0, at = 0; i < count; i++, at += 2 + length(at)) {
            sb.append(i == 0 ? "" : ", ").append(new String(names, at + 2, length(at), StandardCharsets.UTF_8));
        }
        return sb.append("])").toString();
    }
}
