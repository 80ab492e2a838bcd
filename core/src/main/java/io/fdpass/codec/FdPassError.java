package io.fdpass.codec;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

import static io.fdpass.codec.Checks.checkInRange;

/**
 * ERROR: why the server stops reading from this connection. It closes per the protocol's "Closing" rule.
 *
 * @param code the wire code, 0..65535 (codes this version does not define are kept as they are)
 * @param message for people, at most 1024 bytes of UTF-8
 */
public record FdPassError(int code, String message) implements FdPassMessage {
    /** An ERROR, its code and message checked against the wire's bounds. */
    public FdPassError {
        checkInRange(code, 0, FdPassProtocol.MAX_U16, "code");
        Objects.requireNonNull(message, "message");
        checkInRange(message.getBytes(StandardCharsets.UTF_8).length, 0, FdPassProtocol.MAX_MESSAGE_LENGTH,
                "message length");
    }

    /**
     * An ERROR with a code this version knows.
     *
     * @param code any code but {@link ErrorCode#UNKNOWN}
     * @param message for people, at most 1024 bytes of UTF-8
     */
    public FdPassError(ErrorCode code, String message) {
        this(Objects.requireNonNull(code, "code").code(), message);
    }

    /** An ERROR whose message is {@code message} cut short where needed to fit the wire's 1024 bytes; null as "". */
    public static FdPassError shortened(ErrorCode code, String message) {
        String m = message == null ? "" : message;
        while (m.getBytes(StandardCharsets.UTF_8).length > FdPassProtocol.MAX_MESSAGE_LENGTH) {
            m = m.substring(0, m.length() / 2);
        }
        return new FdPassError(code, m);
    }

    /** The code, {@link ErrorCode#UNKNOWN} for one this version does not know ({@link #code()} has it). */
    public ErrorCode errorCode() {
        return ErrorCode.valueOf(code);
    }

    @Override
    public String toString() {
        return "ERROR(" + errorCode() + (errorCode() == ErrorCode.UNKNOWN ? " " + code : "") + ", " + message + ")";
    }
}
