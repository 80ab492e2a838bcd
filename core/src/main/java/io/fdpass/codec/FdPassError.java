package io.fdpass.codec;

import io.fdpass.ErrorCode;
import io.fdpass.internal.Checks;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** ERROR: why the server stops reading from this connection. It closes per the protocol's "Closing" rule. */
public final class FdPassError implements FdPassMessage {
    /** Longest message, in UTF-8 bytes. */
    public static final int MAX_MESSAGE_LENGTH = 1024;

    private final int code;
    private final String message;

    public FdPassError(ErrorCode code, String message) {
        this(Objects.requireNonNull(code, "code").code(), message);
    }

    /**
     * @param code the wire code, 0..65535 (codes this version does not define are kept as they are)
     * @param message for people, at most 1024 bytes of UTF-8
     */
    public FdPassError(int code, String message) {
        this.code = Checks.checkInRange(code, 0, 65535, "code");
        this.message = Objects.requireNonNull(message, "message");
        Checks.checkInRange(message.getBytes(StandardCharsets.UTF_8).length, 0, MAX_MESSAGE_LENGTH,
                "message length");
    }

    public ErrorCode errorCode() {
        return ErrorCode.valueOf(code);
    }

    public int code() {
        return code;
    }

    public String message() {
        return message;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FdPassError e && e.code == code && e.message.equals(message);
    }

    @Override
    public int hashCode() {
        return code * 31 + message.hashCode();
    }

    @Override
    public String toString() {
        return "ERROR(" + errorCode() + (errorCode() == ErrorCode.UNKNOWN ? " " + code : "") + ", " + message + ")";
    }
}
