package io.fdpass;

import io.fdpass.codec.ErrorCode;

import java.util.Objects;

/** The server answered with an ERROR frame; every request it had not answered fails with it. */
public final class FdPassErrorException extends FdPassException {
    private static final long serialVersionUID = 1L;

    private final transient ErrorCode errorCode;
    private final int code;
    private final String serverMessage;

    public FdPassErrorException(int code, String serverMessage) {
        super("server sent ERROR " + describe(code) + ": " + serverMessage);
        this.code = code;
        this.errorCode = ErrorCode.valueOf(code);
        this.serverMessage = Objects.requireNonNull(serverMessage, "serverMessage");
    }

    private static String describe(int code) {
        ErrorCode known = ErrorCode.valueOf(code);
        return known == ErrorCode.UNKNOWN ? String.valueOf(code) : known.name();
    }

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
