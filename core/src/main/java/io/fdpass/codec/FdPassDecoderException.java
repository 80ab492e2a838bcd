package io.fdpass.codec;

import io.netty.handler.codec.CorruptedFrameException;

import java.util.Objects;

/**
 * A frame that breaks protocol v1, from either decoder. The decoder that throws it discards everything after it.
 * {@link #errorCode()} is what a server answers such a request with; a violation by a server has
 * {@link ErrorCode#MALFORMED_FRAME}, since a client answers nothing and closes.
 */
public final class FdPassDecoderException extends CorruptedFrameException {
    private static final long serialVersionUID = 1L;

    private final transient ErrorCode errorCode;

    /**
     * A violation, and the ERROR code it is answered with.
     *
     * @param errorCode the code a server answers with
     * @param message what was wrong with the frame, Netty-style ({@code "count: 70 (expected: <= 64)"})
     */
    public FdPassDecoderException(ErrorCode errorCode, String message) {
        super(message);
        this.errorCode = Objects.requireNonNull(errorCode, "errorCode");
    }

    /** The ERROR code a server answers the violation with. */
    public ErrorCode errorCode() {
        return errorCode;
    }
}
