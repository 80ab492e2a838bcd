package io.fdpass.codec;

/** The code of an ERROR frame (protocol v1). */
public enum ErrorCode {
    MALFORMED_FRAME(1),
    FRAME_TOO_LARGE(2),
    TOO_MANY_NAMES(3),
    UNSUPPORTED_TYPE(4),
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
