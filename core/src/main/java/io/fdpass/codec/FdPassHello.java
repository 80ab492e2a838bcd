package io.fdpass.codec;

import static io.fdpass.codec.Checks.checkInRange;
import static io.fdpass.codec.FdPassProtocol.MAX_FRAME_LENGTH_LIMIT;
import static io.fdpass.codec.FdPassProtocol.MAX_NAMES_LIMIT;
import static io.fdpass.codec.FdPassProtocol.MAX_UNANSWERED_LIMIT;
import static io.fdpass.codec.FdPassProtocol.MIN_FRAME_LENGTH_LIMIT;

/**
 * HELLO: the server's first frame on every connection, announcing the limits it holds its clients to.
 *
 * @param maxNames names per REQUEST the server accepts, 1..64
 * @param maxFrameLength largest REQUEST length the server accepts, 8192..65536
 * @param maxUnanswered requests a client may have unanswered before the server stops reading, 1..65535
 */
public record FdPassHello(int maxNames, int maxFrameLength, int maxUnanswered) implements FdPassMessage {
    /** A HELLO, each limit checked against the bounds protocol v1 allows a server to announce. */
    public FdPassHello {
        checkInRange(maxNames, 1, MAX_NAMES_LIMIT, "maxNames");
        checkInRange(maxFrameLength, MIN_FRAME_LENGTH_LIMIT, MAX_FRAME_LENGTH_LIMIT, "maxFrameLength");
        checkInRange(maxUnanswered, 1, MAX_UNANSWERED_LIMIT, "maxUnanswered");
    }

    @Override
    public String toString() {
        return "HELLO(maxNames=" + maxNames + ", maxFrameLength=" + maxFrameLength + ", maxUnanswered="
                + maxUnanswered + ")";
    }
}
