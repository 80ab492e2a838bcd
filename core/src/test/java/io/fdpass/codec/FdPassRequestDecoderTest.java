package io.fdpass.codec;

import io.fdpass.testing.LeakCheck;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;

import static io.fdpass.codec.CodecTests.REQUEST;
import static io.fdpass.codec.CodecTests.REQUEST_HEX;
import static io.fdpass.codec.CodecTests.ascii;
import static io.fdpass.codec.CodecTests.assertNoMoreInbound;
import static io.fdpass.codec.CodecTests.buf;
import static io.fdpass.codec.CodecTests.bytes;
import static io.fdpass.codec.CodecTests.concat;
import static io.fdpass.codec.CodecTests.frame;
import static io.fdpass.codec.CodecTests.request;
import static io.fdpass.codec.CodecTests.requestBody;
import static io.fdpass.codec.CodecTests.u32;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server's decoder against "How a server judges a frame" of PROTOCOL-v1, rule by rule and in its order. */
class FdPassRequestDecoderTest {
    private static final byte[] VALID = bytes(REQUEST_HEX);

    @AfterEach
    void noLeaks() {
        CodecTests.assertAllReleased();
        LeakCheck.assertNoLeaks();
    }

    private static EmbeddedChannel channel() {
        return CodecTests.channel(new FdPassRequestDecoder());
    }

    private static EmbeddedChannel channel(int maxNames, int maxFrameLength) {
        return CodecTests.channel(new FdPassRequestDecoder(maxNames, maxFrameLength));
    }

    private static FdPassRequestDecoder decoder(EmbeddedChannel ch) {
        return ch.pipeline().get(FdPassRequestDecoder.class);
    }

    /** Writes {@code input} in one piece and expects the fault {@code code}. */
    private static FdPassDecoderException assertFault(EmbeddedChannel ch, ErrorCode code, byte[] input) {
        FdPassDecoderException e = assertThrows(FdPassDecoderException.class,
                () -> ch.writeInbound(buf(input)));
        assertEquals(code, e.errorCode(), e::getMessage);
        assertTrue(decoder(ch).isDiscarding());
        return e;
    }

    /** After a fault nothing more comes out, valid frames and end of stream included. */
    private static void assertDiscardsTheRest(EmbeddedChannel ch) {
        assertFalse(ch.writeInbound(buf(VALID, VALID)));
        assertFalse(ch.writeInbound(buf(bytes("00 00 00 00"))));
        assertFalse(ch.writeInbound(buf(VALID)));
        assertNoMoreInbound(ch);
        assertFalse(ch.finishAndReleaseAll()); // no second fault at end of stream either
    }

    private static void writeBytewise(EmbeddedChannel ch, byte[] input) {
        for (byte b : input) {
            assertFalse(ch.writeInbound(buf(new byte[] {b})));
        }
    }

    // ---- valid input ----

    @Test
    void decodesBackToBackAndSplitFrames() {
        EmbeddedChannel ch = channel();
        FdPassRequest other = FdPassRequest.of(-2, "a", "b/c", "d");
        byte[] otherBytes = request(-2, ascii("a"), ascii("b/c"), ascii("d"));
        byte[] all = concat(VALID, otherBytes, VALID);
        // first part ends inside the second frame's header
        assertTrue(ch.writeInbound(buf(Arrays.copyOfRange(all, 0, VALID.length + 3))));
        assertEquals(REQUEST, ch.readInbound());
        assertNoMoreInbound(ch);
        assertTrue(ch.writeInbound(buf(Arrays.copyOfRange(all, VALID.length + 3, all.length))));
        assertEquals(other, ch.readInbound());
        assertEquals(REQUEST, ch.readInbound());
        assertNoMoreInbound(ch);
        assertFalse(ch.finishAndReleaseAll());
    }

    /** A server times out a frame begun and not completed: the decoder says when it is inside one. */
    @Test
    void isInsideFrameFromItsFirstByteToItsLast() {
        EmbeddedChannel ch = channel();
        assertFalse(decoder(ch).isInsideFrame());
        for (int i = 0; i < VALID.length - 1; i++) {
            assertFalse(ch.writeInbound(buf(new byte[] {VALID[i]})));
            assertTrue(decoder(ch).isInsideFrame(), "after " + (i + 1) + " bytes");
        }
        assertTrue(ch.writeInbound(buf(new byte[] {VALID[VALID.length - 1]})));
        assertFalse(decoder(ch).isInsideFrame(), "complete");
        assertEquals(REQUEST, ch.readInbound());
        assertFalse(ch.writeInbound(buf(new byte[] {VALID[0]})));
        assertTrue(decoder(ch).isInsideFrame(), "the next one begun");
        assertThrows(FdPassDecoderException.class, () -> ch.writeInbound(buf(bytes("00 00 00 01"))));
        assertFalse(decoder(ch).isInsideFrame(), "discarding");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void oneByteAtATime() {
        EmbeddedChannel ch = channel();
        for (int round = 0; round < 2; round++) {
            writeBytewise(ch, Arrays.copyOf(VALID, VALID.length - 1));
            assertNoMoreInbound(ch);
            assertTrue(ch.writeInbound(buf(new byte[] {VALID[VALID.length - 1]})));
            assertEquals(REQUEST, ch.readInbound());
            assertNoMoreInbound(ch);
        }
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void frameOfExactlyMaxFrameLengthIsAccepted() {
        EmbeddedChannel ch = channel(64, 8192);
        byte[] name = new byte[8192 - 1 - 6 - 2];
        Arrays.fill(name, (byte) 'n');
        byte[] input = request(1, name);
        assertEquals(8192, (int) ((input[0] & 0xff) << 24 | (input[1] & 0xff) << 16 | (input[2] & 0xff) << 8
                | (input[3] & 0xff)));
        assertTrue(ch.writeInbound(buf(input)));
        FdPassRequest r = ch.readInbound();
        assertEquals(8192, r.frameLength());
        assertArrayEquals(name, r.name(0));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void maxNamesIsAccepted() {
        EmbeddedChannel ch = channel(3, 8192);
        assertTrue(ch.writeInbound(buf(request(9, ascii("a"), ascii("b"), ascii("c")))));
        assertEquals(FdPassRequest.of(9, "a", "b", "c"), ch.readInbound());
        assertFalse(ch.finishAndReleaseAll());
    }

    /** A name's content never fails the frame: the server answers INVALID_NAME for that name alone. */
    @Test
    void namesAreNotJudgedHere() {
        byte[] longName = new byte[4097];
        Arrays.fill(longName, (byte) 'x');
        List<byte[]> names = List.of(new byte[0], bytes("ff fe c0 af ed a0 80"), ascii("a\0b"), longName,
                ascii("/etc/passwd"), ascii("../x"));
        EmbeddedChannel ch = channel();
        assertTrue(ch.writeInbound(buf(request(3, names.toArray(byte[][]::new)))));
        FdPassRequest r = ch.readInbound();
        assertEquals(names.size(), r.count());
        for (int i = 0; i < names.size(); i++) {
            assertArrayEquals(names.get(i), r.name(i), "name " + i);
        }
        assertEquals(new FdPassRequest(3, names), r);
        assertFalse(ch.finishAndReleaseAll());
    }

    // ---- rule 1: length ----

    @Test
    void lengthZeroIsMalformed() {
        EmbeddedChannel ch = channel();
        assertFault(ch, ErrorCode.MALFORMED_FRAME, bytes("00 00 00 00 01 00 00 00 07 00 01 00 00"));
        assertDiscardsTheRest(ch);
    }

    @Test
    void lengthZeroIsJudgedFromTheLengthBytesAlone() {
        EmbeddedChannel ch = channel();
        writeBytewise(ch, bytes("00 00 00"));
        assertFault(ch, ErrorCode.MALFORMED_FRAME, bytes("00"));
        assertDiscardsTheRest(ch);
    }

    @Test
    void tooLargeIsJudgedFromTheLengthBytesAlone() {
        EmbeddedChannel ch = channel(); // maxFrameLength 65536
        writeBytewise(ch, bytes("00 01 00"));
        FdPassDecoderException e = assertFault(ch, ErrorCode.FRAME_TOO_LARGE, bytes("01"));
        assertEquals("length: 65537 (expected: <= 65536)", e.getMessage());
        assertDiscardsTheRest(ch);
    }

    @ParameterizedTest
    @ValueSource(longs = {8193, 65536, 0x7fffffffL, 0x80000000L, 0xffffffffL})
    void tooLargeForASmallerLimit(long length) {
        EmbeddedChannel ch = channel(64, 8192);
        // A REQUEST type byte and a plausible body follow: the length alone decides.
        assertFault(ch, ErrorCode.FRAME_TOO_LARGE, concat(u32(length), bytes("01 00 00 00 07 00 01 00 01 61")));
        assertDiscardsTheRest(ch);
    }

    @Test
    void tooLargeWinsOverAWrongType() {
        EmbeddedChannel ch = channel(64, 8192);
        assertFault(ch, ErrorCode.FRAME_TOO_LARGE, bytes("00 00 20 01 04"));
        assertDiscardsTheRest(ch);
    }

    // ---- rule 2: type ----

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x02, 0x03, 0x04, 0x05, 0x7f, 0x80, 0xff})
    void otherTypesAreUnsupported(int type) {
        EmbeddedChannel ch = channel();
        assertFault(ch, ErrorCode.UNSUPPORTED_TYPE, frame(type, requestBody(7, 1, ascii("a"))));
        assertDiscardsTheRest(ch);
    }

    @Test
    void unsupportedTypeIsJudgedFromTheFifthByte() {
        EmbeddedChannel ch = channel();
        writeBytewise(ch, bytes("00 00 00 21"));
        FdPassDecoderException e = assertFault(ch, ErrorCode.UNSUPPORTED_TYPE, bytes("02"));
        assertEquals("type: REPLY (expected: REQUEST)", e.getMessage());
        assertDiscardsTheRest(ch);
    }

    @Test
    void aWrongTypeWinsOverAMalformedBody() {
        EmbeddedChannel ch = channel();
        assertFault(ch, ErrorCode.UNSUPPORTED_TYPE, frame(0x04, bytes("00")));
        assertDiscardsTheRest(ch);
    }

    // ---- rule 3: the body ----

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    void bodyWithoutIdAndCountIsMalformed(int bodyLength) {
        EmbeddedChannel ch = channel();
        assertFault(ch, ErrorCode.MALFORMED_FRAME, frame(1, Arrays.copyOf(bytes("00 00 00 07 00 01"), bodyLength)));
        assertDiscardsTheRest(ch);
    }

    @Test
    void countZeroIsMalformed() {
        EmbeddedChannel ch = channel();
        assertFault(ch, ErrorCode.MALFORMED_FRAME, frame(1, requestBody(7, 0)));
        assertDiscardsTheRest(ch);
    }

    @Test
    void countZeroWithBytesAfterItIsMalformed() {
        EmbeddedChannel ch = channel();
        assertFault(ch, ErrorCode.MALFORMED_FRAME, frame(1, requestBody(7, 0, ascii("a"))));
        assertDiscardsTheRest(ch);
    }

    @Test
    void fewerNamesThanCountIsMalformed() {
        EmbeddedChannel ch = channel();
        assertFault(ch, ErrorCode.MALFORMED_FRAME, frame(1, requestBody(7, 3, ascii("a"), ascii("b"))));
        assertDiscardsTheRest(ch);
    }

    @Test
    void nameLongerThanTheBodyIsMalformed() {
        EmbeddedChannel ch = channel();
        // nameLength 5, 4 bytes left
        assertFault(ch, ErrorCode.MALFORMED_FRAME, frame(1, bytes("00 00 00 07 00 01 00 05 61 62 63 64")));
        assertDiscardsTheRest(ch);
    }

    @Test
    void nameLengthCutInHalfIsMalformed() {
        EmbeddedChannel ch = channel();
        assertFault(ch, ErrorCode.MALFORMED_FRAME, frame(1, bytes("00 00 00 07 00 02 00 01 61 00")));
        assertDiscardsTheRest(ch);
    }

    @Test
    void nameLengthOfAllOnesIsMalformed() {
        EmbeddedChannel ch = channel();
        assertFault(ch, ErrorCode.MALFORMED_FRAME, frame(1, bytes("00 00 00 07 00 01 ff ff 61")));
        assertDiscardsTheRest(ch);
    }

    @Test
    void trailingBytesAreMalformed() {
        EmbeddedChannel ch = channel();
        assertFault(ch, ErrorCode.MALFORMED_FRAME, frame(1, concat(requestBody(7, 1, ascii("a")), bytes("00"))));
        assertDiscardsTheRest(ch);
    }

    @Test
    void tooManyNamesWhenTheBodyFillsExactly() {
        EmbeddedChannel ch = channel(2, 8192);
        FdPassDecoderException e = assertFault(ch, ErrorCode.TOO_MANY_NAMES,
                request(7, ascii("a"), ascii("b"), ascii("c")));
        assertEquals("count: 3 (expected: <= 2)", e.getMessage());
        assertDiscardsTheRest(ch);
    }

    @Test
    void sixtyFiveNamesAreTooManyByDefault() {
        byte[][] names = new byte[65][];
        Arrays.fill(names, ascii("n"));
        EmbeddedChannel ch = channel();
        assertFault(ch, ErrorCode.TOO_MANY_NAMES, request(1, names));
        assertDiscardsTheRest(ch);
    }

    @Test
    void fillIsJudgedBeforeMaxNames() {
        EmbeddedChannel ch = channel(2, 8192);
        // count 3 > maxNames 2, and only two names present
        assertFault(ch, ErrorCode.MALFORMED_FRAME, frame(1, requestBody(7, 3, ascii("a"), ascii("b"))));
        assertDiscardsTheRest(ch);

        EmbeddedChannel trailing = channel(2, 8192);
        assertFault(trailing, ErrorCode.MALFORMED_FRAME,
                frame(1, concat(requestBody(7, 3, ascii("a"), ascii("b"), ascii("c")), bytes("ff"))));
        assertDiscardsTheRest(trailing);
    }

    @Test
    void countOfAllOnesWithoutNamesIsMalformedNotTooMany() {
        EmbeddedChannel ch = channel();
        assertFault(ch, ErrorCode.MALFORMED_FRAME, frame(1, requestBody(7, 0xffff, ascii("a"))));
        assertDiscardsTheRest(ch);
    }

    @Test
    void theBodyIsJudgedOnlyWhenComplete() {
        // Its count is 0, but a server only judges it once the whole body is there.
        EmbeddedChannel ch = channel();
        byte[] bad = frame(1, concat(requestBody(7, 0), new byte[10]));
        writeBytewise(ch, Arrays.copyOf(bad, bad.length - 1));
        assertFalse(decoder(ch).isDiscarding());
        assertFault(ch, ErrorCode.MALFORMED_FRAME, new byte[] {bad[bad.length - 1]});
        assertDiscardsTheRest(ch);
    }

    // ---- rule 4: end of stream ----

    @Test
    void endOfStreamInsideABodyIsMalformed() {
        EmbeddedChannel ch = channel();
        assertTrue(ch.writeInbound(buf(VALID, Arrays.copyOf(VALID, VALID.length - 1))));
        assertEquals(REQUEST, ch.readInbound());
        FdPassDecoderException e = assertThrows(FdPassDecoderException.class, ch::finish);
        assertEquals(ErrorCode.MALFORMED_FRAME, e.errorCode());
        assertNoMoreInbound(ch);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void endOfStreamRightAfterTheHeaderIsMalformed() {
        EmbeddedChannel ch = channel();
        assertFalse(ch.writeInbound(buf(Arrays.copyOf(VALID, 5))));
        FdPassDecoderException e = assertThrows(FdPassDecoderException.class, ch::finish);
        assertEquals(ErrorCode.MALFORMED_FRAME, e.errorCode());
        assertFalse(ch.finishAndReleaseAll());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void endOfStreamInsideAHeaderIsMalformed(int headerBytes) {
        EmbeddedChannel ch = channel();
        assertFalse(ch.writeInbound(buf(Arrays.copyOf(VALID, headerBytes))));
        FdPassDecoderException e = assertThrows(FdPassDecoderException.class, ch::finish);
        assertEquals(ErrorCode.MALFORMED_FRAME, e.errorCode());
        assertNoMoreInbound(ch);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void endOfStreamBetweenFramesIsFine() {
        EmbeddedChannel ch = channel();
        assertTrue(ch.writeInbound(buf(VALID)));
        assertEquals(REQUEST, ch.readInbound());
        assertFalse(ch.finish());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void endOfStreamAfterAFaultIsNoSecondFault() {
        EmbeddedChannel ch = channel();
        assertFault(ch, ErrorCode.FRAME_TOO_LARGE, bytes("00 02 00 00"));
        assertFalse(ch.finish());
        assertFalse(ch.finishAndReleaseAll());
    }

    // ---- order: complete requests first, then the fault, then nothing ----

    @Test
    void requestsBeforeTheFaultComeOutFirst() {
        EmbeddedChannel ch = channel();
        byte[] second = request(8, ascii("x"));
        assertFault(ch, ErrorCode.UNSUPPORTED_TYPE, concat(VALID, second, bytes("00 00 00 05 03 00 01 00 00"), VALID));
        assertEquals(REQUEST, ch.readInbound());
        assertEquals(FdPassRequest.of(8, "x"), ch.readInbound());
        assertDiscardsTheRest(ch);
    }

    @Test
    void requestsBeforeTheFaultComeOutFirstOneByteAtATime() {
        EmbeddedChannel ch = channel(64, 8192);
        byte[] input = concat(VALID, u32(8193));
        writeBytewise(ch, Arrays.copyOf(VALID, VALID.length - 1));
        assertTrue(ch.writeInbound(buf(new byte[] {VALID[VALID.length - 1]})));
        assertEquals(REQUEST, ch.readInbound());
        writeBytewise(ch, Arrays.copyOfRange(input, VALID.length, input.length - 1));
        assertFault(ch, ErrorCode.FRAME_TOO_LARGE, new byte[] {input[input.length - 1]});
        assertDiscardsTheRest(ch);
    }

    @Test
    void faultInALaterWriteAfterGoodOnes() {
        EmbeddedChannel ch = channel(2, 8192);
        assertTrue(ch.writeInbound(buf(VALID)));
        assertEquals(REQUEST, ch.readInbound());
        assertFault(ch, ErrorCode.TOO_MANY_NAMES, request(1, ascii("a"), ascii("b"), ascii("c")));
        assertDiscardsTheRest(ch);
    }

    @Test
    void constructorChecksItsLimits() {
        assertEquals("maxNames: 65 (expected: 1..64)",
                assertThrows(IllegalArgumentException.class, () -> new FdPassRequestDecoder(65, 8192)).getMessage());
        assertEquals("maxNames: 0 (expected: 1..64)",
                assertThrows(IllegalArgumentException.class, () -> new FdPassRequestDecoder(0, 8192)).getMessage());
        assertEquals("maxFrameLength: 8191 (expected: 8192..65536)",
                assertThrows(IllegalArgumentException.class, () -> new FdPassRequestDecoder(1, 8191)).getMessage());
        assertEquals("maxFrameLength: 65537 (expected: 8192..65536)",
                assertThrows(IllegalArgumentException.class, () -> new FdPassRequestDecoder(1, 65537)).getMessage());
    }
}
