package io.fdpass.codec;

import java.util.Arrays;

/**
 * REPLY: one status and size per name of the REQUEST it answers, in the request's order. Each {@link FileStatus#OK}
 * entry's descriptor follows the frame in a descriptor message of its own, in entry order.
 */
public final class FdPassReply implements FdPassMessage {
    private final int id;
    private final byte[] statuses;
    private final long[] sizes;
    private final int descriptorCount;

    /**
     * A REPLY of wire status codes, checked: one size per status, none negative, and 0 for each failure.
     *
     * @param id the REQUEST's id
     * @param statusCodes one wire status code (0..255) per name
     * @param sizes one size per name: {@code >= 0} for OK entries, 0 for the others
     */
    public FdPassReply(int id, int[] statusCodes, long[] sizes) {
        this(id, toBytes(statusCodes), sizes.clone());
    }

    private FdPassReply(int id, byte[] statuses, long[] sizes) {
        Checks.checkInRange(statuses.length, 1, FdPassProtocol.MAX_U16, "count");
        if (sizes.length != statuses.length) {
            throw new IllegalArgumentException("sizes: " + sizes.length + " (expected: " + statuses.length + ")");
        }
        int ok = 0;
        for (int i = 0; i < statuses.length; i++) {
            if (statuses[i] == FileStatus.OK.code()) {
                ok++;
                if (sizes[i] < 0) {
                    throw new IllegalArgumentException("sizes[" + i + "]: " + sizes[i] + " (expected: >= 0)");
                }
            } else if (sizes[i] != 0) {
                throw new IllegalArgumentException("sizes[" + i + "]: " + sizes[i] + " (expected: 0 for status "
                        + (statuses[i] & 0xff) + ")");
            }
        }
        this.id = id;
        this.statuses = statuses;
        this.sizes = sizes;
        this.descriptorCount = ok;
    }

    /**
     * Like the constructor, but the reply takes the arrays as they are instead of copying them: whoever made them
     * (a decoder, a server answering a request) must not change them afterwards.
     *
     * @param statusCodes one wire status code per name, read as unsigned
     */
    public static FdPassReply wrap(int id, byte[] statusCodes, long[] sizes) {
        return new FdPassReply(id, statusCodes, sizes);
    }

    private static byte[] toBytes(int[] codes) {
        byte[] bytes = new byte[codes.length];
        for (int i = 0; i < codes.length; i++) {
            bytes[i] = (byte) Checks.checkInRange(codes[i], 0, FdPassProtocol.MAX_U8, "statusCodes[" + i + "]");
        }
        return bytes;
    }

    /** The id of the REQUEST it answers, as an unsigned 32-bit value. */
    public int id() {
        return id;
    }

    /** How many entries it has: as many as the REQUEST had names. */
    public int count() {
        return statuses.length;
    }

    /** The {@code index}th entry's status; {@link FileStatus#UNKNOWN} for a code this version does not know. */
    public FileStatus status(int index) {
        return FileStatus.valueOf(statuses[index] & 0xff);
    }

    /** The status code as sent, including codes this version does not know. */
    public int statusCode(int index) {
        return statuses[index] & 0xff;
    }

    /** The {@code index}th entry's size in bytes, as the server saw it when it opened the file; 0 unless OK. */
    public long size(int index) {
        return sizes[index];
    }

    /** How many descriptor messages follow this REPLY: one per OK entry. */
    public int descriptorCount() {
        return descriptorCount;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FdPassReply r && r.id == id && Arrays.equals(r.statuses, statuses)
                && Arrays.equals(r.sizes, sizes);
    }

    @Override
    public int hashCode() {
        return (id * 31 + Arrays.hashCode(statuses)) * 31 + Arrays.hashCode(sizes);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("REPLY(id=").append(Integer.toUnsignedString(id)).append(", [");
        for (int i = 0; i < statuses.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(status(i));
            if (statuses[i] == 0) {
                sb.append(' ').append(sizes[i]);
            }
        }
        return sb.append("])").toString();
    }
}
