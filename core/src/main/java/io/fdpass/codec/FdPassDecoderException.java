package io.fdpass.codec;

import io.fdpass.ErrorCode;
import io.netty.handler.codec.CorruptedFrameException;

import java.util.Objects;

/**
 * A frame that breaks protocol v1, with the {@link ErrorCode} a server answers it with. The decoder that throws it
 * discards everything after it.
 */
public final class FdPassDecoderException extends CorruptedFrameException {
    private static final long serialVersionUID = 1L;

    private final transient ErrorCode errorCode;

    public FdPassDecoderException(ErrorCode errorCode, String message) {
        super(message);
        this.errorCode = Objects.requireNonNull(errorCode, "errorCode");
    }

    public ErrorCode errorCode() {
        return errorCode;
    }
}
