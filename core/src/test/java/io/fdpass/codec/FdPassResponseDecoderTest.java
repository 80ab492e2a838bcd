package io.fdpass.codec;

import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Opens;
import io.fdpass.internal.Platform;
import io.fdpass.spi.FdPassSocket;
import io.fdpass.testing.Fds;
import io.fdpass.testing.LeakCheck;
import io.fdpass.testing.ReadModeChannel;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.fdpass.codec.CodecTests.ERROR;
import static io.fdpass.codec.CodecTests.ERROR_HEX;
import static io.fdpass.codec.CodecTests.HELLO;
import static io.fdpass.codec.CodecTests.HELLO_HEX;
import static io.fdpass.codec.CodecTests.REPLY;
import static io.fdpass.codec.CodecTests.REPLY_HEX;
import static io.fdpass.codec.CodecTests.REQUEST;
import static io.fdpass.codec.CodecTests.TestFd;
import static io.fdpass.codec.CodecTests.assertNoMoreInbound;
import static io.fdpass.codec.CodecTests.buf;
import static io.fdpass.codec.CodecTests.bytes;
import static io.fdpass.codec.CodecTests.concat;
import static io.fdpass.codec.CodecTests.frame;
import static io.fdpass.codec.CodecTests.isCloseOnExec;
import static io.fdpass.codec.CodecTests.u16;
import static io.fdpass.codec.CodecTests.u32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The client's decoder: HELLO first, REPLY and its descriptors, ERROR, and the read sizes it asks for. */
class FdPassResponseDecoderTest {
    private static final byte[] HELLO_BYTES = bytes(HELLO_HEX);

    @TempDir
    static Path dir;
    private static Path file;

    private final List<TestFd> opened = new ArrayList<>();
    private int fdsBefore;

    @BeforeAll
    static void createFile() throws IOException {
        file = Files.write(dir.resolve("courses.txt"), new byte[16]);
    }

    @BeforeEach
    void countFds() {
        fdsBefore = Fds.count();
    }

    @AfterEach
    void noLeaks() throws IOException {
        CodecTests.assertAllReleased();
        for (TestFd fd : opened) {
            fd.close(); // a no-op for the ones already closed
        }
        assertEquals(fdsBefore, Fds.count(), "open descriptors");
        LeakCheck.assertNoLeaks();
    }

    private TestFd open() {
        assumeTrue(Platform.LINUX, "descriptors through io.fdpass.internal.SocketCalls: Linux only");
        TestFd fd = CodecTests.open(file);
        opened.add(fd);
        return fd;
    }

    private static ReadModeChannel channel() {
        ReadModeChannel ch = CodecTests.readModeChannel();
        ch.pipeline().addLast(new FdPassResponseDecoder(FdPassSocket.unixReader()));
        return ch;
    }

    private static ReadModeChannel afterHello() {
        ReadModeChannel ch = channel();
        assertTrue(ch.writeInbound(buf(HELLO_BYTES)));
        assertEquals(HELLO, ch.readInbound());
        return ch;
    }

    private static FdPassResponseDecoder decoder(EmbeddedChannel ch) {
        return ch.pipeline().get(FdPassResponseDecoder.class);
    }

    private static byte[] encode(FdPassMessage msg) {
        EmbeddedChannel enc = CodecTests.channel(FdPassResponseEncoder.INSTANCE);
        assertTrue(enc.writeOutbound(msg));
        byte[] b = CodecTests.readAllOutbound(enc);
        assertFalse(enc.finishAndReleaseAll());
        return b;
    }

    private static CorruptedFrameException assertViolation(EmbeddedChannel ch, Object input, String expected) {
        CorruptedFrameException e = assertThrows(CorruptedFrameException.class, () -> ch.writeInbound(input));
        assertTrue(e.getMessage().contains(expected), () -> "message: " + e.getMessage());
        assertEquals(0, decoder(ch).bytesWanted());
        assertFalse(decoder(ch).isReadingDescriptors());
        return e;
    }

    /** After a violation or an ERROR: frames are discarded silently, descriptors closed silently. */
    private void assertDiscardsTheRest(ReadModeChannel ch) {
        assertFalse(ch.writeInbound(buf(ERROR_HEX)));
        assertFalse(ch.writeInbound(buf(REPLY_HEX)));
        if (Platform.LINUX) {
            TestFd fd = open();
            assertFalse(ch.writeInbound(fd));
            fd.assertClosedElsewhere();
        }
        assertNoMoreInbound(ch);
        assertFalse(ch.finishAndReleaseAll());
    }

    @BeforeAll
    static void bindNatives() {
        if (Platform.LINUX) {
            Descriptors.close(Opens.openat(Opens.AT_FDCWD, "/", Opens.O_RDONLY));
        }
    }

    // ---- byte mode ----

    @Test
    void oneByteAtATimeWithBytesWanted() {
        ReadModeChannel ch = channel();
        FdPassResponseDecoder decoder = decoder(ch);
        FdPassReply noDescriptors = new FdPassReply(3, new int[] {1, 2, 3, 4, 5, 6, 200},
                new long[] {0, 0, 0, 0, 0, 0, 0});
        List<Object> expected = List.of(HELLO, noDescriptors, REPLY);
        byte[][] frames = {HELLO_BYTES, encode(noDescriptors), bytes(REPLY_HEX)};
        for (int f = 0; f < frames.length; f++) {
            byte[] frame = frames[f];
            for (int i = 0; i < frame.length; i++) {
                int wanted = i < 5 ? 5 - i : frame.length - i;
                assertEquals(wanted, decoder.bytesWanted(), "frame " + f + ", byte " + i);
                boolean last = i == frame.length - 1;
                assertEquals(last, ch.writeInbound(CodecTests.slice(frame, i, 1)), "frame " + f + ", byte " + i);
            }
            assertEquals(expected.get(f), ch.readInbound());
            assertNoMoreInbound(ch);
        }
        // The REPLY example announces one descriptor: nothing more in bytes.
        assertTrue(decoder.isReadingDescriptors());
        assertEquals(0, decoder.bytesWanted());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void bytesWantedNeverCrossesAFrame() {
        ReadModeChannel ch = channel();
        FdPassResponseDecoder decoder = decoder(ch);
        assertEquals(5, decoder.bytesWanted());
        assertFalse(ch.writeInbound(buf(Arrays.copyOf(HELLO_BYTES, 3))));
        assertEquals(2, decoder.bytesWanted());
        assertFalse(ch.writeInbound(buf(Arrays.copyOfRange(HELLO_BYTES, 3, 5))));
        assertEquals(14, decoder.bytesWanted());
        assertFalse(ch.writeInbound(buf(Arrays.copyOfRange(HELLO_BYTES, 5, 9))));
        assertEquals(10, decoder.bytesWanted());
        assertTrue(ch.writeInbound(buf(Arrays.copyOfRange(HELLO_BYTES, 9, HELLO_BYTES.length))));
        assertEquals(HELLO, ch.readInbound());
        assertEquals(5, decoder.bytesWanted());
        byte[] error = bytes(ERROR_HEX);
        assertFalse(ch.writeInbound(buf(Arrays.copyOf(error, 7))));
        assertEquals(error.length - 7, decoder.bytesWanted());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void theReplyDueIsWantedWholeAndAnErrorInItsPlaceIsTakenToo() {
        ReadModeChannel ch = channel();
        FdPassResponseDecoder decoder = decoder(ch);
        decoder.replyExpected(7);
        assertEquals(5, decoder.bytesWanted(), "HELLO comes first, whatever is due");
        assertTrue(ch.writeInbound(buf(HELLO_BYTES)));
        assertEquals(HELLO, ch.readInbound());
        decoder.replyExpected(2);
        FdPassReply seven = new FdPassReply(3, new int[] {1, 2, 3, 4, 5, 6, 200},
                new long[] {0, 0, 0, 0, 0, 0, 0});
        byte[] frame = encode(seven);
        assertEquals(frame.length, decoder.bytesWanted());
        assertFalse(ch.writeInbound(buf(Arrays.copyOf(frame, 10))));
        assertEquals(frame.length - 10, decoder.bytesWanted());
        assertTrue(ch.writeInbound(buf(Arrays.copyOfRange(frame, 10, frame.length))));
        assertEquals(seven, ch.readInbound());
        // A REPLY of 2 names is due; the server sends an ERROR instead, after which it sends nothing.
        assertEquals(FdPassProtocol.replyFrameLength(2), decoder.bytesWanted());
        assertTrue(ch.writeInbound(buf(ERROR_HEX)));
        assertEquals(ERROR, ch.readInbound());
        assertNoMoreInbound(ch);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void theClientCodecMakesARequestsReplyDueOnceItIsWrittenAndNotIfItsWriteFails() {
        ReadModeChannel ch = CodecTests.readModeChannel();
        AtomicBoolean failWrites = new AtomicBoolean();
        ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                if (failWrites.get()) {
                    ReferenceCountUtil.release(msg);
                    promise.setFailure(new IOException("Broken pipe"));
                } else {
                    ctx.write(msg, promise);
                }
            }
        }, new FdPassClientCodec(FdPassSocket.unixReader()));
        // What the transport asks of the allocator that the codec installed, as it starts a read.
        RecvByteBufAllocator.Handle reads = ch.config().getRecvByteBufAllocator().newHandle();
        assertTrue(ch.writeInbound(buf(HELLO_BYTES)));
        assertEquals(HELLO, ch.readInbound());
        failWrites.set(true);
        assertFalse(ch.writeOneOutbound(REQUEST).isSuccess());
        assertEquals(5, reads.guess(), "no REPLY is due for a request that was not sent");
        failWrites.set(false);
        assertTrue(ch.writeOutbound(REQUEST));
        assertEquals(FdPassProtocol.replyFrameLength(REQUEST.count()), reads.guess());
        ByteBuf sent = ch.readOutbound();
        sent.release();
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void longerHelloIsAcceptedAndItsExtraBytesIgnored() {
        byte[] longer = frame(FdPassProtocol.TYPE_HELLO,
                concat(Arrays.copyOfRange(HELLO_BYTES, 5, HELLO_BYTES.length), bytes("01 02 03 04 05 06 07")));
        byte[] input = concat(longer, bytes(ERROR_HEX));
        // in one piece
        ReadModeChannel ch = channel();
        assertTrue(ch.writeInbound(buf(input)));
        assertEquals(HELLO, ch.readInbound());
        assertEquals(ERROR, ch.readInbound());
        assertNoMoreInbound(ch);
        assertFalse(ch.finishAndReleaseAll());
        // and one byte at a time
        ReadModeChannel bytewise = channel();
        for (int i = 0; i < input.length; i++) {
            bytewise.writeInbound(CodecTests.slice(input, i, 1));
        }
        assertEquals(HELLO, bytewise.readInbound());
        assertEquals(ERROR, bytewise.readInbound());
        assertNoMoreInbound(bytewise);
        assertFalse(bytewise.finishAndReleaseAll());
    }

    // ---- HELLO first, and a v1 HELLO ----

    @Test
    void replyFirstIsNotAnFdpassServer() {
        ReadModeChannel ch = channel();
        // judged from the header alone
        assertViolation(ch, buf(Arrays.copyOf(bytes(REPLY_HEX), 5)), "not an fdpass");
        assertDiscardsTheRest(ch);
    }

    @Test
    void errorFirstIsNotAnFdpassServer() {
        ReadModeChannel ch = channel();
        assertViolation(ch, buf(ERROR_HEX), "not an fdpass");
        assertDiscardsTheRest(ch);
    }

    @Test
    void somethingElseFirstIsNotAnFdpassServer() {
        ReadModeChannel ch = channel();
        assertViolation(ch, buf(CodecTests.ascii("SSH-2.0-OpenSSH_9.6\r\n")), "not an fdpass");
        assertDiscardsTheRest(ch);
    }

    @Test
    void wrongMagic() {
        ReadModeChannel ch = channel();
        byte[] hello = HELLO_BYTES.clone();
        hello[8] = 'T'; // "FDPT"
        CorruptedFrameException e = assertViolation(ch, buf(hello), "not an fdpass server");
        assertTrue(e.getMessage().contains("magic: 0x46445054"), e.getMessage());
        assertDiscardsTheRest(ch);
    }

    @Test
    void version2() {
        ReadModeChannel ch = channel();
        byte[] hello = HELLO_BYTES.clone();
        hello[10] = 2;
        assertViolation(ch, buf(hello), "version: 2 (expected: 1)");
        assertDiscardsTheRest(ch);
    }

    @Test
    void version0() {
        ReadModeChannel ch = channel();
        byte[] hello = HELLO_BYTES.clone();
        hello[10] = 0;
        assertViolation(ch, buf(hello), "version: 0");
        assertDiscardsTheRest(ch);
    }

    @Test
    void shortHello() {
        ReadModeChannel ch = channel();
        assertViolation(ch, buf(frame(FdPassProtocol.TYPE_HELLO, Arrays.copyOfRange(HELLO_BYTES, 5, 18))),
                "HELLO body: 13 bytes");
        assertDiscardsTheRest(ch);
    }

    @Test
    void helloWithLimitsOutOfRange() {
        ReadModeChannel ch = channel();
        byte[] hello = HELLO_BYTES.clone();
        hello[12] = 0; // maxNames 0
        assertViolation(ch, buf(hello), "maxNames: 0");
        assertDiscardsTheRest(ch);
    }

    @Test
    void secondHello() {
        ReadModeChannel ch = afterHello();
        assertViolation(ch, buf(HELLO_BYTES), "second HELLO");
        assertDiscardsTheRest(ch);
    }

    // ---- frames ----

    @Test
    void otherTypes() {
        for (int type : new int[] {0x00, 0x01, 0x05, 0x7f, 0xff}) {
            ReadModeChannel ch = afterHello();
            assertViolation(ch, buf(frame(type, new byte[20])), "type: ");
            assertDiscardsTheRest(ch);
        }
    }

    @Test
    void lengthZeroAndTooLong() {
        ReadModeChannel ch = afterHello();
        assertViolation(ch, buf(bytes("00 00 00 00 02")), "length: 0");
        assertDiscardsTheRest(ch);

        ReadModeChannel tooLong = afterHello();
        assertViolation(tooLong, buf(concat(u32(8193), bytes("03"))), "length: 8193 (expected: 1..8192)");
        assertDiscardsTheRest(tooLong);
    }

    @Test
    void replyLengthMustMatchCount() {
        // count 2, three entries
        byte[] threeEntries = frame(FdPassProtocol.TYPE_REPLY, concat(bytes("00 00 00 07 00 02"), new byte[27]));
        // count 3, two entries
        byte[] twoEntries = frame(FdPassProtocol.TYPE_REPLY, concat(bytes("00 00 00 07 00 03"), new byte[18]));
        // count 2, two entries and a byte
        byte[] extraByte = frame(FdPassProtocol.TYPE_REPLY, concat(bytes("00 00 00 07 00 02"), new byte[19]));
        // count 1, 8 bytes of an entry
        byte[] shortEntry = frame(FdPassProtocol.TYPE_REPLY, concat(bytes("00 00 00 07 00 01"), new byte[17]));
        for (byte[] reply : List.of(threeEntries, twoEntries, extraByte, shortEntry)) {
            ReadModeChannel ch = afterHello();
            assertViolation(ch, buf(reply), "REPLY count");
            assertDiscardsTheRest(ch);
        }
    }

    @Test
    void replyWithoutEntries() {
        ReadModeChannel ch = afterHello();
        assertViolation(ch, buf(frame(FdPassProtocol.TYPE_REPLY, bytes("00 00 00 07 00 00"))), "REPLY body: 6");
        assertDiscardsTheRest(ch);
    }

    @Test
    void replyWithASizeForAFailedEntry() {
        ReadModeChannel ch = afterHello();
        assertViolation(ch, buf(frame(FdPassProtocol.TYPE_REPLY, bytes("00 00 00 07 00 01  01 00 00 00 00 00 00 00 01"))),
                "sizes[0]: 1 (expected: 0 for status 1)");
        assertDiscardsTheRest(ch);
    }

    @Test
    void replyWithANegativeSize() {
        ReadModeChannel ch = afterHello();
        assertViolation(ch, buf(frame(FdPassProtocol.TYPE_REPLY, bytes("00 00 00 07 00 01  00 80 00 00 00 00 00 00 00"))),
                "sizes[0]");
        assertDiscardsTheRest(ch);
    }

    @Test
    void errorDecodesAndEndsTheConnection() {
        ReadModeChannel ch = afterHello();
        assertTrue(ch.writeInbound(buf(concat(encode(new FdPassError(ErrorCode.SHUTTING_DOWN, "bye é")),
                bytes(ERROR_HEX)))));
        FdPassError error = ch.readInbound();
        assertEquals(new FdPassError(5, "bye é"), error);
        assertEquals(ErrorCode.SHUTTING_DOWN, error.errorCode());
        assertEquals(0, decoder(ch).bytesWanted());
        assertDiscardsTheRest(ch);
    }

    /** A refusal: HELLO and ERROR TOO_MANY_CONNECTIONS in one read, as a server sends them; and TIMED_OUT. */
    @Test
    void theAvailabilityErrorsDecodeToTheirCodes() {
        ReadModeChannel ch = channel();
        assertTrue(ch.writeInbound(buf(concat(HELLO_BYTES, frame(FdPassProtocol.TYPE_ERROR,
                concat(u16(6), u16(3), CodecTests.ascii("uid")))))));
        assertEquals(CodecTests.HELLO, ch.readInbound());
        FdPassError refused = ch.readInbound();
        assertEquals(ErrorCode.TOO_MANY_CONNECTIONS, refused.errorCode());
        assertEquals("ERROR(TOO_MANY_CONNECTIONS, uid)", refused.toString());
        assertDiscardsTheRest(ch);

        ReadModeChannel timedOut = afterHello();
        assertTrue(timedOut.writeInbound(buf(encode(new FdPassError(ErrorCode.TIMED_OUT, "idle")))));
        assertEquals(new FdPassError(7, "idle"), timedOut.readInbound());
        assertDiscardsTheRest(timedOut);
    }

    @Test
    void errorWithUnknownCodeAndLongestMessage() {
        ReadModeChannel ch = afterHello();
        String message = "m".repeat(1024);
        assertTrue(ch.writeInbound(buf(frame(FdPassProtocol.TYPE_ERROR, concat(u16(99), u16(1024),
                CodecTests.ascii(message))))));
        FdPassError error = ch.readInbound();
        assertEquals(99, error.code());
        assertEquals(ErrorCode.UNKNOWN, error.errorCode());
        assertEquals(message, error.message());
        assertDiscardsTheRest(ch);
    }

    /** The message is for people: bytes that are not UTF-8 must not lose the code. */
    @Test
    void errorWithMalformedUtf8Message() {
        byte[] message = new byte[1024];
        Arrays.fill(message, (byte) 0xff);
        ReadModeChannel ch = afterHello();
        assertTrue(ch.writeInbound(buf(frame(FdPassProtocol.TYPE_ERROR, concat(u16(1), u16(1024), message)))));
        FdPassError error = ch.readInbound();
        assertEquals(ErrorCode.MALFORMED_FRAME, error.errorCode());
        assertEquals("?".repeat(1024), error.message());
        assertDiscardsTheRest(ch);

        ReadModeChannel mixed = afterHello();
        byte[] text = bytes("6f 6b 20 ff 20 c3 a9 20 c3 20 ed a0 80"); // "ok ", bad, " é ", cut, " ", a surrogate
        assertTrue(mixed.writeInbound(buf(frame(FdPassProtocol.TYPE_ERROR, concat(u16(2), u16(text.length), text)))));
        FdPassError mixedError = mixed.readInbound();
        assertEquals(ErrorCode.FRAME_TOO_LARGE, mixedError.errorCode());
        assertTrue(mixedError.message().matches("ok \\? é \\? \\?+"), mixedError.message());
        assertDiscardsTheRest(mixed);
    }

    @Test
    void errorMessageLengthMustFillTheBody() {
        for (byte[] body : List.of(bytes("00 01 00 04 62 61 64"), bytes("00 01 00 02 62 61 64"),
                concat(u16(1), u16(1025), new byte[1025]), bytes("00 01 00"))) {
            ReadModeChannel ch = afterHello();
            assertThrows(CorruptedFrameException.class, () -> ch.writeInbound(buf(frame(3, body))));
            assertDiscardsTheRest(ch);
        }
    }

    // ---- descriptors ----

    @Test
    void replyThenItsDescriptorsThenBytesAgain() throws IOException {
        ReadModeChannel ch = afterHello();
        FdPassResponseDecoder decoder = decoder(ch);
        FdPassReply reply = new FdPassReply(9, new int[] {0, 1, 0, 3, 0}, new long[] {16, 0, 16, 0, 16});
        assertTrue(ch.writeInbound(buf(encode(reply))));
        assertEquals(reply, ch.readInbound());
        assertNoMoreInbound(ch);
        for (int i = 0; i < 3; i++) {
            assertTrue(decoder.isReadingDescriptors(), "descriptor " + i);
            assertEquals(0, decoder.bytesWanted());
            assertEquals(DomainSocketReadMode.FILE_DESCRIPTORS, ch.readMode());
            TestFd fd = open();
            assertFalse(isCloseOnExec(fd));
            assertTrue(ch.writeInbound(fd));
            assertSame(fd, ch.readInbound());
            assertTrue(fd.isOpen());
            assertTrue(isCloseOnExec(fd), "descriptor " + i + " not marked close-on-exec");
            assertNoMoreInbound(ch);
            fd.close();
        }
        assertFalse(decoder.isReadingDescriptors());
        assertEquals(DomainSocketReadMode.BYTES, ch.readMode());
        assertEquals(5, decoder.bytesWanted());

        // The next frame in bytes, here the REPLY example and its single descriptor.
        assertTrue(ch.writeInbound(buf(REPLY_HEX)));
        assertEquals(REPLY, ch.readInbound());
        assertEquals(DomainSocketReadMode.FILE_DESCRIPTORS, ch.readMode());
        TestFd fd = open();
        assertTrue(ch.writeInbound(fd));
        assertSame(fd, ch.readInbound());
        assertTrue(isCloseOnExec(fd));
        fd.close();
        assertEquals(DomainSocketReadMode.BYTES, ch.readMode());
        assertTrue(ch.writeInbound(buf(ERROR_HEX)));
        assertEquals(ERROR, ch.readInbound());
        assertDiscardsTheRest(ch);
    }

    @Test
    void replyWithoutOkEntriesStaysInBytes() {
        ReadModeChannel ch = afterHello();
        FdPassReply reply = new FdPassReply(1, new int[] {1, 6}, new long[] {0, 0});
        assertTrue(ch.writeInbound(buf(concat(encode(reply), encode(reply)))));
        assertEquals(reply, ch.readInbound());
        assertEquals(reply, ch.readInbound());
        assertEquals(0, reply.descriptorCount());
        assertFalse(decoder(ch).isReadingDescriptors());
        assertEquals(DomainSocketReadMode.BYTES, ch.readMode());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void unannouncedDescriptorIsClosed() {
        ReadModeChannel ch = afterHello();
        TestFd fd = open();
        assertViolation(ch, fd, "no REPLY announced");
        fd.assertClosedElsewhere();
        assertNoMoreInbound(ch);
        assertDiscardsTheRest(ch);
    }

    @Test
    void descriptorBeforeHelloIsClosed() {
        ReadModeChannel ch = channel();
        TestFd fd = open();
        assertThrows(CorruptedFrameException.class, () -> ch.writeInbound(fd));
        fd.assertClosedElsewhere();
        assertNoMoreInbound(ch);
        assertDiscardsTheRest(ch);
    }

    @Test
    void oneDescriptorTooManyIsClosed() throws IOException {
        ReadModeChannel ch = afterHello();
        assertTrue(ch.writeInbound(buf(REPLY_HEX)));
        assertEquals(REPLY, ch.readInbound());
        TestFd first = open();
        assertTrue(ch.writeInbound(first));
        assertSame(first, ch.readInbound());
        first.close();
        TestFd extra = open();
        assertViolation(ch, extra, "no REPLY announced");
        extra.assertClosedElsewhere();
        assertDiscardsTheRest(ch);
    }

    @Test
    void descriptorInsideAFrameIsClosed() {
        ReadModeChannel ch = afterHello();
        assertFalse(ch.writeInbound(buf(Arrays.copyOf(bytes(REPLY_HEX), 8))));
        TestFd fd = open();
        assertViolation(ch, fd, "no REPLY announced");
        fd.assertClosedElsewhere();
        assertDiscardsTheRest(ch);
    }

    @Test
    void bytesWhileDescriptorsAreDue() {
        ReadModeChannel ch = afterHello();
        // REPLY and the next frame in one read: a read ran past the REPLY, where its descriptor was
        CorruptedFrameException e = assertThrows(CorruptedFrameException.class,
                () -> ch.writeInbound(buf(concat(bytes(REPLY_HEX), bytes(ERROR_HEX)))));
        assertTrue(e.getMessage().contains("descriptor"), e.getMessage());
        assertEquals(REPLY, ch.readInbound());
        assertNoMoreInbound(ch);
        assertFalse(decoder(ch).isReadingDescriptors());
        // the descriptor that then arrives is closed, without a second exception
        assertDiscardsTheRest(ch);
    }

    @Test
    void bytesWhileDescriptorsAreDueInALaterRead() {
        ReadModeChannel ch = afterHello();
        assertTrue(ch.writeInbound(buf(REPLY_HEX)));
        assertEquals(REPLY, ch.readInbound());
        assertViolation(ch, buf(bytes("00")), "descriptor");
        assertDiscardsTheRest(ch);
    }

    @Test
    void constructorChecksItsLimit() {
        assertEquals("maxFrameLength: 1028 (expected: 1029..65536)",
                assertThrows(IllegalArgumentException.class, () -> new FdPassResponseDecoder(1028, FdPassSocket.unixReader())).getMessage());
        assertEquals("maxFrameLength: 65537 (expected: 1029..65536)",
                assertThrows(IllegalArgumentException.class, () -> new FdPassResponseDecoder(65537, FdPassSocket.unixReader())).getMessage());
        new FdPassResponseDecoder(1029, FdPassSocket.unixReader());
    }

    @Test
    void clientCodecInstallsTheExactAllocator() {
        ReadModeChannel ch = CodecTests.readModeChannel();
        ch.pipeline().addLast(new FdPassClientCodec(FdPassSocket.unixReader()));
        assertInstanceOf(FdPassRecvByteBufAllocator.class, ch.config().getRecvByteBufAllocator());
        assertTrue(ch.writeInbound(buf(concat(HELLO_BYTES, bytes(REPLY_HEX)))));
        assertEquals(HELLO, ch.readInbound());
        assertEquals(REPLY, ch.readInbound());
        assertEquals(FileStatus.OK, REPLY.status(0));
        assertEquals(DomainSocketReadMode.FILE_DESCRIPTORS, ch.readMode());
        assertFalse(ch.finishAndReleaseAll());
    }
}
