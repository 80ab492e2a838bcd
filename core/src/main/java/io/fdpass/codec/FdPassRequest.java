package io.fdpass.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * REQUEST: the names a client wants opened, under an id of its choosing that the REPLY echoes.
 *
 * <p>Names are bytes, not strings: a name that is not valid UTF-8 still travels, and the server answers it
 * INVALID_NAME without failing the rest of the request.
 */
public final class FdPassRequest implements FdPassMessage {
    private final int id;
    private final byte[][] names;

    /**
     * @param id any 32-bit value, read as unsigned on the wire
     * @param names 1..65535 names, each of 0..65535 bytes (the server judges their content; a server's HELLO lowers
     *        the count to at most 64, and valid names have at most 4096 bytes)
     */
    public FdPassRequest(int id, List<byte[]> names) {
        this(id, copy(names));
    }

    /** Takes ownership of {@code names}, already checked: for the decoder and {@link #of}, which made them. */
    FdPassRequest(int id, byte[][] names) {
        this.id = id;
        this.names = names;
    }

    /** A request for names given as strings, encoded as UTF-8. */
    public static FdPassRequest of(int id, String... names) {
        byte[][] bytes = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            bytes[i] = names[i].getBytes(StandardCharsets.UTF_8);
        }
        check(bytes);
        return new FdPassRequest(id, bytes);
    }

    private static byte[][] copy(List<byte[]> names) {
        byte[][] copy = new byte[names.size()][];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = names.get(i).clone();
        }
        check(copy);
        return copy;
    }

    private static void check(byte[][] names) {
        Checks.checkInRange(names.length, 1, FdPassProtocol.MAX_U16, "count");
        for (byte[] name : names) {
            Checks.checkInRange(name.length, 0, FdPassProtocol.MAX_U16, "nameLength");
        }
    }

    /** The id, as an unsigned 32-bit value ({@link Integer#toUnsignedLong} reads it). */
    public int id() {
        return id;
    }

    public int count() {
        return names.length;
    }

    /** A copy of the {@code index}th name's bytes. */
    public byte[] name(int index) {
        return names[index].clone();
    }

    /** The {@code index}th name as text, with malformed UTF-8 replaced: for logs and messages. */
    public String nameAsString(int index) {
        return new String(names[index], StandardCharsets.UTF_8);
    }

    /** The name's own array, not a copy: for the encoder. */
    byte[] nameNoCopy(int index) {
        return names[index];
    }

    /** Bytes of the body on the wire. */
    int bodyLength() {
        int length = FdPassProtocol.REQUEST_FIXED_LENGTH;
        for (byte[] name : names) {
            length += 2 + name.length;
        }
        return length;
    }

    /** The frame's {@code length} field (type and body): what a server's HELLO {@code maxFrameLength} bounds. */
    public int frameLength() {
        return 1 + bodyLength();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FdPassRequest r && r.id == id && Arrays.deepEquals(r.names, names);
    }

    @Override
    public int hashCode() {
        return id * 31 + Arrays.deepHashCode(names);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("REQUEST(id=").append(Integer.toUnsignedString(id)).append(", names=[");
        for (int i = 0; i < names.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(nameAsString(i));
        }
        return sb.append("])").toString();
    }
}
