package io.fdpass;

import java.io.IOException;

/**
 * A request or connection of an fdpass client failed: the connection dropped, a timeout passed, the peer broke the
 * protocol, or the server sent ERROR ({@link FdPassErrorException}).
 */
public class FdPassException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * A failure told by its message.
     *
     * @param message what failed, in one line naming the socket where it helps
     */
    public FdPassException(String message) {
        super(message);
    }

    /**
     * A failure told by its message, and the exception it came from.
     *
     * @param message what failed, in one line naming the socket where it helps
     * @param cause what it came from
     */
    public FdPassException(String message, Throwable cause) {
        super(message, cause);
    }
}
