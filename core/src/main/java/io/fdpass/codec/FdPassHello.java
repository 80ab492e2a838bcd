package io.fdpass.codec;

import static io.fdpass.internal.Checks.checkInRange;

/**
 * HELLO: the server's first frame on every connection, announcing the limits it holds its clients to.
 */
public final class FdPassHello implements FdPassMessage {
    public static final int MAGIC = 0x46445053; // "FDPS"
    public static final int VERSION = 1;
    /** Bytes of a v1 HELLO body; later versions may send more, which v1 clients ignore. */
    public static final int BODY_LENGTH = 14;

    public static final int MAX_NAMES_LIMIT = 64;
    public static final int MIN_FRAME_LENGTH_LIMIT = 8192;
    public static final int MAX_FRAME_LENGTH_LIMIT = 65536;
    public static final int MAX_UNANSWERED_LIMIT = 65535;

    private final int maxNames;
    private final int maxFrameLength;
    private final int maxUnanswered;

    /**
     * @param maxNames names per REQUEST the server accepts, 1..64
     * @param maxFrameLength largest REQUEST length the server accepts, 8192..65536
     * @param maxUnanswered requests a client may have unanswered before the server stops reading, 1..65535
     */
    public FdPassHello(int maxNames, int maxFrameLength, int maxUnanswered) {
        this.maxNames = checkInRange(maxNames, 1, MAX_NAMES_LIMIT, "maxNames");
        this.maxFrameLength = checkInRange(maxFrameLength, MIN_FRAME_LENGTH_LIMIT, MAX_FRAME_LENGTH_LIMIT,
                "maxFrameLength");
        this.maxUnanswered = checkInRange(maxUnanswered, 1, MAX_UNANSWERED_LIMIT, "maxUnanswered");
    }

    public int maxNames() {
        return maxNames;
    }

    public int maxFrameLength() {
        return maxFrameLength;
    }

    public int maxUnanswered() {
        return maxUnanswered;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FdPassHello h && h.maxNames == maxNames && h.maxFrameLength == maxFrameLength
                && h.maxUnanswered == maxUnanswered;
    }

    @Override
    public int hashCode() {
        return (maxNames * 31 + maxFrameLength) * 31 + maxUnanswered;
    }

    @Override
    public String toString() {
        return "HELLO(maxNames=" + maxNames + ", maxFrameLength=" + maxFrameLength + ", maxUnanswered="
                + maxUnanswered + ")";
    }
}
