package io.fdpass;

import java.io.IOException;

/**
 * A request or connection of an fdpass client failed: the connection dropped, a timeout passed, the peer broke the
 * protocol, or the server sent ERROR ({@link FdPassErrorException}).
 */
public class FdPassException extends IOException {
    private static final long serialVersionUID = 1L;

    public FdPassException(String message) {
        super(message);
    }

    public FdPassException(String message, Throwable cause) {
        super(message, cause);
    }
}
