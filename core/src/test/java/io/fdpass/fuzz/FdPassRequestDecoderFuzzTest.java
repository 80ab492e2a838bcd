package io.fdpass.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassDecoderException;
import io.fdpass.codec.FdPassProtocol;
import io.fdpass.codec.FdPassRequest;
import io.fdpass.codec.FdPassRequestDecoder;
import io.fdpass.codec.FdPassRequestEncoder;
import io.fdpass.fuzz.RequestFrameJudge.Judgement;
import io.fdpass.testing.LeakCheck;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzzing of the server's decoder, {@link FdPassRequestDecoder}, against {@link RequestFrameJudge},
 * written from PROTOCOL-v1 "How a server judges a frame". In a normal test run it replays its corpus
 * ({@code src/test/resources/io/fdpass/fuzz/FdPassRequestDecoderFuzzTestInputs/decode/}); with
 * {@code JAZZER_FUZZ=1} it fuzzes (see {@code scripts/fuzz.sh}).
 *
 * <p>An input is a 4-byte configuration followed by the byte stream a client sends:
 * <pre>
 *   u8   b0     maxNames = 1 + (b0 &amp; 0x3f); bit 6: the stream arrives in direct buffers, else heap
 *   u16  b1b2   maxFrameLength = 8192 + b1b2 % 57345   (0xe000: 65536, the default)
 *   u8   b3     chunking: 0 = the whole stream in one read; n = reads of 1..n bytes (sizes from Random(n))
 *   ...         the stream
 * </pre>
 * Missing configuration bytes count as 0.
 *
 * <p>It checks that exactly the frames the judge accepts come out, each as soon as its last byte arrived, with the
 * limits kept and re-encoding to exactly the bytes it was decoded from; that a faulty frame raises exactly one
 * {@link FdPassDecoderException}, with the judge's code, as soon as the bytes that judgement needs arrived (or at end
 * of stream), and nothing comes out after it; that no other exception ever escapes; and that every buffer is
 * released: per input, through the counters of an allocator of its own; and Netty's paranoid leak detector after all
 * inputs (and every few thousand while fuzzing), which also sees buffers from anywhere else.
 */
class FdPassRequestDecoderFuzzTest {
    static final int CONFIG_LENGTH = 4;
    /** The leak detector collects garbage (slow): once per run, and this often while fuzzing. */
    private static final int LEAK_CHECK_EVERY = 4096;
    private static int executions;

    @BeforeAll
    static void notBlind() {
        Fuzzing.requireInstrumentationWhenFuzzing();
    }

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    @FuzzTest(maxDuration = "2m")
    void decode(byte[] input) {
        byte[] config = Arrays.copyOf(input, CONFIG_LENGTH);
        int maxNames = 1 + (config[0] & 0x3f);
        boolean direct = (config[0] & 0x40) != 0;
        int maxFrameLength = FdPassProtocol.MIN_FRAME_LENGTH_LIMIT + (((config[1] & 0xff) << 8) | (config[2] & 0xff))
                % (FdPassProtocol.MAX_FRAME_LENGTH_LIMIT - FdPassProtocol.MIN_FRAME_LENGTH_LIMIT + 1);
        int chunking = config[3] & 0xff;
        byte[] stream = input.length > CONFIG_LENGTH ? Arrays.copyOfRange(input, CONFIG_LENGTH, input.length)
                : new byte[0];

        Judgement judged = RequestFrameJudge.judge(stream, maxNames, maxFrameLength);
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(direct);
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        FdPassRequestDecoder decoder = new FdPassRequestDecoder(maxNames, maxFrameLength);
        ch.pipeline().addLast(decoder);
        EmbeddedChannel encoder = new EmbeddedChannel(FdPassRequestEncoder.INSTANCE);
        encoder.config().setAllocator(alloc);

        Random sizes = new Random(chunking);
        int written = 0;
        int decoded = 0;
        boolean faulted = false;
        while (written < stream.length) {
            int n = chunking == 0 ? stream.length : Math.min(stream.length - written, 1 + sizes.nextInt(chunking));
            ByteBuf chunk = direct ? alloc.directBuffer(n) : alloc.heapBuffer(n);
            chunk.writeBytes(stream, written, n);
            written += n;
            Throwable thrown = null;
            try {
                ch.writeInbound(chunk);
            } catch (Throwable t) {
                thrown = t;
            }
            decoded = takeRequests(ch, encoder, judged, stream, decoded, written, maxNames, maxFrameLength);
            boolean due = !faulted && judged.error() != null && judged.errorAt() <= written;
            if (faulted || !due) {
                if (thrown != null) {
                    fail((faulted ? "after the fault, " : "") + "unexpected " + thrown + " after " + written
                            + " bytes; expected: " + judged.describe(), thrown);
                }
            } else {
                assertFault(thrown, judged);
                faulted = true;
            }
            assertEquals(faulted, decoder.isDiscarding(), "isDiscarding()");
        }

        // End of stream.
        Throwable thrown = null;
        try {
            assertFalse(ch.finish(), "messages left after finish()");
        } catch (Throwable t) {
            thrown = t;
        }
        assertNull(ch.readInbound(), "a message after end of stream");
        if (!faulted && judged.error() != null) {
            assertEquals(RequestFrameJudge.END_OF_STREAM, judged.errorAt(), "the fault was due before end of stream");
            assertFault(thrown, judged);
        } else if (thrown != null) {
            fail("unexpected " + thrown + " at end of stream; expected: " + judged.describe(), thrown);
        }
        assertEquals(judged.frames().size(), decoded, "requests decoded");
        assertFalse(encoder.finishAndReleaseAll());
        assertEquals(0, alloc.metric().usedHeapMemory(), "heap buffers not released");
        assertEquals(0, alloc.metric().usedDirectMemory(), "direct buffers not released");
        if (++executions % LEAK_CHECK_EVERY == 0) {
            LeakCheck.assertNoLeaks();
        }
    }

    /** Reads the requests that came out, checks each against the judge's frame at its place in the stream. */
    private static int takeRequests(EmbeddedChannel ch, EmbeddedChannel encoder, Judgement judged, byte[] stream,
            int decoded, int written, int maxNames, int maxFrameLength) {
        for (Object msg; (msg = ch.readInbound()) != null; decoded++) {
            FdPassRequest request = assertInstanceOf(FdPassRequest.class, msg, "only requests come out");
            assertTrue(decoded < judged.frames().size(), () -> "a request the judge rejects: " + request);
            int[] frame = judged.frames().get(decoded);
            assertTrue(frame[1] <= written, "a request before its last byte arrived");
            assertTrue(request.count() >= 1 && request.count() <= maxNames, () -> "count: " + request.count());
            assertTrue(request.frameLength() <= maxFrameLength, () -> "frame length: " + request.frameLength());
            assertTrue(encoder.writeOutbound(request));
            ByteBuf encoded = encoder.readOutbound();
            try {
                assertArrayEquals(Arrays.copyOfRange(stream, frame[0], frame[1]), ByteBufUtil.getBytes(encoded),
                        "re-encoded request differs from the bytes it was decoded from");
            } finally {
                encoded.release();
            }
        }
        // Each request comes out as soon as it is complete.
        int due = 0;
        while (due < judged.frames().size() && judged.frames().get(due)[1] <= written) {
            due++;
        }
        assertEquals(due, decoded, "requests complete after " + written + " bytes");
        return decoded;
    }

    private static void assertFault(Throwable thrown, Judgement judged) {
        if (thrown == null) {
            fail("no exception; expected: " + judged.describe());
        }
        if (!(thrown instanceof FdPassDecoderException e)) {
            throw new AssertionError("only FdPassDecoderException may escape the decoder, not " + thrown, thrown);
        }
        assertTrue(e.errorCode() == ErrorCode.MALFORMED_FRAME || e.errorCode() == ErrorCode.FRAME_TOO_LARGE
                || e.errorCode() == ErrorCode.TOO_MANY_NAMES || e.errorCode() == ErrorCode.UNSUPPORTED_TYPE,
                () -> "not a frame error code: " + e.errorCode());
        assertEquals(judged.error(), e.errorCode(), () -> "error code (" + e.getMessage() + "); expected: "
                + judged.describe());
    }
}
