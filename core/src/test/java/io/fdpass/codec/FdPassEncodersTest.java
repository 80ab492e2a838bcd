package io.fdpass.codec;

import io.fdpass.spi.FdPassSocket;
import io.fdpass.testing.LeakCheck;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.fdpass.codec.CodecTests.ERROR;
import static io.fdpass.codec.CodecTests.ERROR_HEX;
import static io.fdpass.codec.CodecTests.HELLO;
import static io.fdpass.codec.CodecTests.HELLO_HEX;
import static io.fdpass.codec.CodecTests.REPLY;
import static io.fdpass.codec.CodecTests.REPLY_HEX;
import static io.fdpass.codec.CodecTests.REQUEST;
import static io.fdpass.codec.CodecTests.REQUEST_HEX;
import static io.fdpass.codec.CodecTests.buf;
import static io.fdpass.codec.CodecTests.hex;
import static io.fdpass.codec.CodecTests.readOutboundHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The examples of PROTOCOL-v1 byte for byte, both ways, and what the encoders write for the other cases. */
class FdPassEncodersTest {

    @AfterEach
    void noLeaks() {
        CodecTests.assertAllReleased();
        LeakCheck.assertNoLeaks();
    }

    @Test
    void helloExample() {
        EmbeddedChannel ch = CodecTests.channel(FdPassResponseEncoder.INSTANCE);
        assertTrue(ch.writeOutbound(HELLO));
        assertEquals(hex(HELLO_HEX), readOutboundHex(ch));
        assertFalse(ch.finishAndReleaseAll());

        assertEquals(HELLO, decodeResponses(HELLO_HEX)[0]);
    }

    @Test
    void requestExample() {
        EmbeddedChannel ch = CodecTests.channel(FdPassRequestEncoder.INSTANCE);
        assertTrue(ch.writeOutbound(REQUEST));
        assertEquals(hex(REQUEST_HEX), readOutboundHex(ch));
        assertFalse(ch.finishAndReleaseAll());

        EmbeddedChannel server = CodecTests.channel(new FdPassRequestDecoder());
        assertTrue(server.writeInbound(buf(REQUEST_HEX)));
        FdPassRequest decoded = server.readInbound();
        assertEquals(REQUEST, decoded);
        assertEquals(7, decoded.id());
        assertEquals("courses.txt", decoded.nameAsString(0));
        assertEquals("missing.txt", decoded.nameAsString(1));
        assertEquals(0x21, decoded.frameLength());
        assertFalse(server.finishAndReleaseAll());
    }

    @Test
    void replyExample() {
        EmbeddedChannel ch = CodecTests.channel(FdPassResponseEncoder.INSTANCE);
        assertTrue(ch.writeOutbound(REPLY));
        String hex = readOutboundHex(ch);
        assertEquals(hex(REPLY_HEX), hex);
        assertEquals(29, hex.length() / 2);
        assertEquals(29, FdPassProtocol.replyFrameLength(2));
        assertFalse(ch.finishAndReleaseAll());

        FdPassReply decoded = (FdPassReply) decodeResponses(HELLO_HEX + REPLY_HEX)[1];
        assertEquals(REPLY, decoded);
        assertEquals(FileStatus.OK, decoded.status(0));
        assertEquals(16, decoded.size(0));
        assertEquals(FileStatus.NOT_FOUND, decoded.status(1));
        assertEquals(1, decoded.descriptorCount());
    }

    @Test
    void errorExample() {
        EmbeddedChannel ch = CodecTests.channel(FdPassResponseEncoder.INSTANCE);
        assertTrue(ch.writeOutbound(ERROR));
        assertEquals(hex(ERROR_HEX), readOutboundHex(ch));
        assertFalse(ch.finishAndReleaseAll());

        FdPassError decoded = (FdPassError) decodeResponses(HELLO_HEX + ERROR_HEX)[1];
        assertEquals(ERROR, decoded);
        assertEquals(ErrorCode.MALFORMED_FRAME, decoded.errorCode());
        assertEquals("bad", decoded.message());
    }

    /** HELLO, then the given frames; the REPLY example is the last one fed (its descriptor is never fed). */
    private static Object[] decodeResponses(String hex) {
        EmbeddedChannel ch = CodecTests.channel(new FdPassResponseDecoder(FdPassSocket.unixReader()));
        assertTrue(ch.writeInbound(buf(hex)));
        Object[] out = ch.inboundMessages().toArray();
        ch.inboundMessages().clear();
        assertFalse(ch.finishAndReleaseAll());
        return out;
    }

    @Test
    void errorMessageLengthCountsUtf8Bytes() {
        EmbeddedChannel ch = CodecTests.channel(FdPassResponseEncoder.INSTANCE);
        assertTrue(ch.writeOutbound(new FdPassError(ErrorCode.SHUTTING_DOWN, "é€")));
        // é = c3 a9, € = e2 82 ac: 5 bytes
        assertEquals(hex("00 00 00 0a 03  00 05  00 05  c3 a9 e2 82 ac"), readOutboundHex(ch));
        assertTrue(ch.writeOutbound(new FdPassError(ErrorCode.TOO_MANY_NAMES, "")));
        assertEquals(hex("00 00 00 05 03  00 03  00 00"), readOutboundHex(ch));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void unsignedFieldsEncodeAsUnsigned() {
        EmbeddedChannel client = CodecTests.channel(FdPassRequestEncoder.INSTANCE);
        assertTrue(client.writeOutbound(new FdPassRequest(-1, java.util.List.of(new byte[0]))));
        assertEquals(hex("00 00 00 09 01  ff ff ff ff  00 01  00 00"), readOutboundHex(client));
        assertFalse(client.finishAndReleaseAll());

        EmbeddedChannel server = CodecTests.channel(FdPassResponseEncoder.INSTANCE);
        assertTrue(server.writeOutbound(new FdPassHello(1, 8192, 65535)));
        assertEquals(hex("00 00 00 0f 04  46 44 50 53  00 01  00 01  00 00 20 00  ff ff"), readOutboundHex(server));
        assertTrue(server.writeOutbound(new FdPassReply(0x80000000, new int[] {255, 0},
                new long[] {0, Long.MAX_VALUE})));
        assertEquals(hex("00 00 00 19 02  80 00 00 00  00 02  ff 00 00 00 00 00 00 00 00"
                + " 00 7f ff ff ff ff ff ff ff"), readOutboundHex(server));
        assertTrue(server.writeOutbound(new FdPassError(65535, "x")));
        assertEquals(hex("00 00 00 06 03  ff ff  00 01  78"), readOutboundHex(server));
        assertFalse(server.finishAndReleaseAll());
    }

    @Test
    void eachEncoderLeavesOtherMessagesAlone() {
        // The server's encoder does not send REQUESTs; the client's encodes nothing but REQUESTs.
        EmbeddedChannel server = CodecTests.channel(FdPassResponseEncoder.INSTANCE);
        assertTrue(server.writeOutbound(REQUEST));
        assertSame(REQUEST, server.readOutbound());
        assertFalse(server.finishAndReleaseAll());

        EmbeddedChannel client = CodecTests.channel(FdPassRequestEncoder.INSTANCE);
        assertTrue(client.writeOutbound(HELLO, REPLY, ERROR));
        assertSame(HELLO, client.readOutbound());
        assertSame(REPLY, client.readOutbound());
        assertSame(ERROR, client.readOutbound());
        assertFalse(client.finishAndReleaseAll());
    }

    @Test
    void sharableEncodersServeSeveralChannels() {
        EmbeddedChannel a = CodecTests.channel(new FdPassServerCodec());
        EmbeddedChannel b = CodecTests.channel(new FdPassServerCodec());
        assertTrue(a.writeOutbound(HELLO));
        assertTrue(b.writeOutbound(ERROR));
        assertEquals(hex(HELLO_HEX), readOutboundHex(a));
        assertEquals(hex(ERROR_HEX), readOutboundHex(b));
        assertFalse(a.finishAndReleaseAll());
        assertFalse(b.finishAndReleaseAll());
    }

    @Test
    void encodedBuffersHoldExactlyTheFrame() {
        EmbeddedChannel ch = CodecTests.channel(FdPassRequestEncoder.INSTANCE);
        assertTrue(ch.writeOutbound(REQUEST));
        ByteBuf out = ch.readOutbound();
        try {
            assertEquals(4 + REQUEST.frameLength(), out.readableBytes());
        } finally {
            out.release();
        }
        assertNull(ch.readOutbound());
        assertFalse(ch.finishAndReleaseAll());
    }
}
