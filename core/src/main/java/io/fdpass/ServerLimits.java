package io.fdpass;

import io.fdpass.codec.FdPassHello;

/**
 * The limits a server holds its clients to, as its HELLO announces them (protocol v1, "HELLO").
 *
 * @param maxNames names per request
 * @param maxFrameLength the largest request frame's {@code length}
 * @param maxUnanswered requests a client may have unanswered before the server stops reading it
 */
public record ServerLimits(int maxNames, int maxFrameLength, int maxUnanswered) {
    static ServerLimits of(FdPassHello hello) {
        return new ServerLimits(hello.maxNames(), hello.maxFrameLength(), hello.maxUnanswered());
    }
}
