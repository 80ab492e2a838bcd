package io.fdpass.codec;

/** The code of an ERROR frame (protocol v1). */
public enum ErrorCode {
    /** A frame of length 0, a REQUEST whose names do not fill its body exactly, or the stream ending inside a frame. */
    MALFORMED_FRAME(1),
    /** A frame longer than the {@code maxFrameLength} the server announced. */
    FRAME_TOO_LARGE(2),
    /** A REQUEST with more names than the {@code maxNames} the server announced. */
    TOO_MANY_NAMES(3),
    /** A frame of a type the server does not take: anything but REQUEST. */
    UNSUPPORTED_TYPE(4),
    /** The server shuts down: requests without a REPLY before it were not processed. */
    SHUTTING_DOWN(5),
    /** Sent right after HELLO to a connection over the server's limits: in total, or for its peer's uid. */
    TOO_MANY_CONNECTIONS(6),
    /**
     * A frame begun and not completed within the server's frame timeout, or a connection with nothing unanswered
     * idle past its idle timeout.
     */
    TIMED_OUT(7),
    /** A code this side does not know. */
    UNKNOWN(-1);

    private static final ErrorCode[] BY_CODE = {null, MALFORMED_FRAME, FRAME_TOO_LARGE, TOO_MANY_NAMES,
            UNSUPPORTED_TYPE, SHUTTING_DOWN, TOO_MANY_CONNECTIONS, TIMED_OUT};

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    /** The code on the wire; -1 for {@link #UNKNOWN}. */
    public int code() {
        return code;
    }

    /** The error code for a wire code; {@link #UNKNOWN} for codes this version does not define. */
    public static ErrorCode valueOf(int code) {
        return code > 0 && code < BY_CODE.length ? BY_CODE[code] : UNKNOWN;
    }
}
