package io.fdpass;

import io.fdpass.codec.ErrorCode;

import java.util.Objects;

/**
 * The server answered with an ERROR frame; every request it had not answered fails with it. Its message is one line
 * for people: for TOO_MANY_CONNECTIONS {@code server refused the connection: too many connections: uid 1000 has 128
 * of 128 (TOO_MANY_CONNECTIONS)}, for TIMED_OUT {@code server closed the connection: idle for 300000 ms with nothing
 * unanswered (TIMED_OUT)}, else {@code server sent ERROR MALFORMED_FRAME: ...}.
 */
public final class FdPassErrorException extends FdPassException {
    private static final long serialVersionUID = 1L;

    private final transient ErrorCode errorCode;
    private final int code;
    private final String serverMessage;

    /**
     * The ERROR a server sent.
     *
     * @param code the wire code, known to this version or not
     * @param serverMessage the frame's message
     */
    public FdPassErrorException(int code, String serverMessage) {
        super(message(code, serverMessage));
        this.code = code;
        this.errorCode = ErrorCode.valueOf(code);
        this.serverMessage = Objects.requireNonNull(serverMessage, "serverMessage");
    }

    private static String message(int code, String serverMessage) {
        return switch (ErrorCode.valueOf(code)) {
            case TOO_MANY_CONNECTIONS -> "server refused the connection: " + serverMessage + " (TOO_MANY_CONNECTIONS)";
            case TIMED_OUT -> "server closed the connection: " + serverMessage + " (TIMED_OUT)";
            default -> "server sent ERROR " + describe(code) + ": " + serverMessage;
        };
    }

    private static String describe(int code) {
        ErrorCode known = ErrorCode.valueOf(code);
        return known == ErrorCode.UNKNOWN ? String.valueOf(code) : known.name();
    }

    /** The code, {@link ErrorCode#UNKNOWN} for one this version does not know ({@link #code()} has it). */
    public ErrorCode errorCode() {
        return errorCode;
    }

    /** The code as sent, including codes this version does not know. */
    public int code() {
        return code;
    }

    /** The server's message, for people. */
    public String serverMessage() {
        return serverMessage;
    }
}
