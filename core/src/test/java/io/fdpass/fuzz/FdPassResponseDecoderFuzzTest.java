package io.fdpass.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.fdpass.codec.FdPassError;
import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassReply;
import io.fdpass.codec.FdPassResponseDecoder;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.FileStat;
import io.fdpass.internal.Opens;
import io.fdpass.internal.Platform;
import io.fdpass.spi.FdPassSocket;
import io.fdpass.testing.Fds;
import io.fdpass.testing.LeakCheck;
import io.fdpass.testing.ReadModeChannel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.CorruptedFrameException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzzing of the client's decoder, {@link FdPassResponseDecoder}: arbitrary bytes with real
 * descriptors ({@code /dev/null}) interleaved, against a reference client written from PROTOCOL-v1 ("HELLO",
 * "REPLY", "ERROR", "Receiving"). In a normal test run it replays its corpus
 * ({@code src/test/resources/io/fdpass/fuzz/FdPassResponseDecoderFuzzTestInputs/decode/}); with
 * {@code JAZZER_FUZZ=1} it fuzzes (see {@code scripts/fuzz.sh}).
 *
 * <p>An input is a 3-byte configuration followed by what the server sends, as operations:
 * <pre>
 *   u16  b0b1   maxFrameLength = 1040 + b0b1 % 64497   (0x1bf0: 8192, the default)
 *   u8   b2     bit 0: read as FdPassRecvByteBufAllocator does, never more than bytesWanted() at once
 *               bit 1: the bytes arrive in direct buffers, else heap
 *   then operations, each one byte op:
 *     op &lt; 0x80   a read of the next op + 1 bytes (fewer at the end of the input)
 *     op &gt;= 0x80  a descriptor message: one freshly opened descriptor (Linux; elsewhere ignored)
 * </pre>
 * Missing configuration bytes count as 0.
 *
 * <p>It checks that exactly the messages the reference client expects come out, in order and as soon as their
 * bytes arrived (HELLO, REPLY, ERROR, and after each REPLY one {@link FileDescriptor} per OK entry, marked
 * close-on-exec); that a protocol violation raises a {@link CorruptedFrameException} when the reference client sees
 * it, and nothing else ever escapes; that after a violation or an ERROR nothing more comes out and nothing is
 * raised; that every descriptor is either passed on (the test closes it) or closed by the decoder at once, and the
 * process's descriptor count is back where it was after each input; that the read mode and {@code bytesWanted()}
 * agree with the decoder's state; and that every buffer is released.
 */
class FdPassResponseDecoderFuzzTest {
    static final int CONFIG_LENGTH = 3;
    private static final int MIN_MAX_FRAME_LENGTH = 1040;
    private static final int LEAK_CHECK_EVERY = 4096;
    private static int executions;
    private static long[] devNull;

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
        if (devNull == null) {
            warmUp();
        }
        int fdsBefore = Platform.LINUX ? Fds.count() : 0;
        run(input);
        if (Platform.LINUX) {
            assertEquals(fdsBefore, Fds.count(), "open descriptors after the input");
        }
        if (++executions % LEAK_CHECK_EVERY == 0) {
            LeakCheck.assertNoLeaks();
        }
    }

    /**
     * Runs one input before any counting: the first run loads classes (and opens their jars), and binds the native
     * calls.
     */
    private static void warmUp() {
        if (Platform.LINUX) {
            long[] stat = new long[FileStat.STAT_LENGTH];
            int fd = openDevNull();
            assertEquals(0, FileStat.fstat(fd, stat));
            assertEquals(0, Descriptors.close(fd));
            devNull = stat;
        } else {
            devNull = new long[0];
        }
        byte[] hello = hex("1bf0 00 12 0000000f04 46445053 0001 0040 00010000 0020"
                + " 1c 0000001902 00000007 0002 00 0000000000000010 01 0000000000000000 80"
                + " 0b 0000000803 0001 0003 626164");
        run(hello);
        run(Arrays.copyOf(hello, 30));
    }

    private static void run(byte[] input) {
        byte[] config = Arrays.copyOf(input, CONFIG_LENGTH);
        int maxFrameLength = MIN_MAX_FRAME_LENGTH + (((config[0] & 0xff) << 8) | (config[1] & 0xff))
                % (65536 - MIN_MAX_FRAME_LENGTH + 1);
        boolean exactReads = (config[2] & 0x01) != 0;
        boolean direct = (config[2] & 0x02) != 0;

        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(direct);
        ReadModeChannel ch = new ReadModeChannel();
        ch.config().setAllocator(alloc);
        FdPassResponseDecoder decoder = new FdPassResponseDecoder(maxFrameLength, FdPassSocket.unixReader());
        ch.pipeline().addLast(decoder);
        ReferenceClient expected = new ReferenceClient(maxFrameLength);
        List<Integer> open = new ArrayList<>();
        try {
            int at = CONFIG_LENGTH;
            while (at < input.length) {
                int op = input[at++] & 0xff;
                if (op >= 0x80) {
                    if (Platform.LINUX) {
                        descriptor(ch, decoder, expected, open);
                    }
                    continue;
                }
                int n = Math.min(op + 1, input.length - at);
                while (n > 0) {
                    int wanted = decoder.bytesWanted();
                    int take = exactReads && wanted > 0 ? Math.min(n, wanted) : n;
                    bytes(ch, decoder, expected, alloc, direct, input, at, take);
                    at += take;
                    n -= take;
                }
            }
            Throwable thrown = null;
            try {
                assertFalse(ch.finish(), "messages left after finish()");
            } catch (Throwable t) {
                thrown = t;
            }
            if (thrown != null) {
                fail("unexpected " + thrown + " at end of stream", thrown);
            }
            assertNull(ch.readInbound(), "a message after end of stream");
        } finally {
            for (int fd : open) {
                Descriptors.close(fd); // only after a failed assertion: the checks close each one at once
            }
        }
        assertEquals(0, alloc.metric().usedHeapMemory(), "heap buffers not released");
        assertEquals(0, alloc.metric().usedDirectMemory(), "direct buffers not released");
    }

    private static void bytes(ReadModeChannel ch, FdPassResponseDecoder decoder, ReferenceClient expected,
            UnpooledByteBufAllocator alloc, boolean direct, byte[] input, int at, int n) {
        ByteBuf buf = direct ? alloc.directBuffer(n) : alloc.heapBuffer(n);
        buf.writeBytes(input, at, n);
        List<Object> want = new ArrayList<>();
        boolean violation = expected.bytes(Arrays.copyOfRange(input, at, at + n), want);
        Throwable thrown = null;
        try {
            ch.writeInbound(buf);
        } catch (Throwable t) {
            thrown = t;
        }
        check(ch, decoder, expected, want, violation, thrown, null);
    }

    private static void descriptor(ReadModeChannel ch, FdPassResponseDecoder decoder, ReferenceClient expected,
            List<Integer> open) {
        int fd = openDevNull();
        open.add(fd);
        FileDescriptor descriptor = new FileDescriptor(fd);
        List<Object> want = new ArrayList<>();
        boolean violation = expected.descriptor(descriptor, want);
        Throwable thrown = null;
        try {
            ch.writeInbound(descriptor);
        } catch (Throwable t) {
            thrown = t;
        }
        check(ch, decoder, expected, want, violation, thrown, descriptor);
        // Passed on and closed by check(), or closed by the decoder: either way it is closed now.
        assertFalse(isOurDevNull(fd), () -> "descriptor " + fd + " neither passed on nor closed");
        open.remove((Integer) fd);
    }

    private static void check(ReadModeChannel ch, FdPassResponseDecoder decoder, ReferenceClient expected,
            List<Object> want, boolean violation, Throwable thrown, FileDescriptor written) {
        List<Object> got = new ArrayList<>();
        for (Object msg; (msg = ch.readInbound()) != null; ) {
            got.add(msg);
            if (msg instanceof FileDescriptor fd) {
                assertSame(written, fd, "a descriptor other than the one just received");
                assertTrue(isOurDevNull(fd.intValue()), () -> "passed on " + fd + " but it is not open");
                int flags = Descriptors.getFdFlags(fd.intValue());
                assertEquals(0, Descriptors.close(fd.intValue()), "closing a passed descriptor");
                assertTrue(flags >= 0 && (flags & Descriptors.FD_CLOEXEC) != 0, "passed on without close-on-exec");
            }
        }
        if (violation) {
            if (!(thrown instanceof CorruptedFrameException)) {
                throw new AssertionError("expected a CorruptedFrameException (" + expected.why + "), got " + thrown,
                        thrown);
            }
        } else if (thrown != null) {
            throw new AssertionError("unexpected " + thrown, thrown);
        }
        assertEquals(want.size(), got.size(), () -> "messages: expected " + want + ", got " + got);
        for (int i = 0; i < want.size(); i++) {
            Object w = want.get(i);
            Object g = got.get(i);
            if (w instanceof FileDescriptor) {
                assertSame(w, g);
            } else {
                assertEquals(w, g, "message " + i);
            }
        }
        int wanted = decoder.bytesWanted();
        assertTrue(wanted >= 0, () -> "bytesWanted(): " + wanted);
        if (expected.failed) {
            assertEquals(0, wanted, "bytesWanted() after the end");
            assertFalse(decoder.isReadingDescriptors(), "isReadingDescriptors() after the end");
        } else {
            assertEquals(expected.descriptorsDue > 0, decoder.isReadingDescriptors(), "isReadingDescriptors()");
            assertEquals(expected.descriptorsDue > 0 ? DomainSocketReadMode.FILE_DESCRIPTORS
                    : DomainSocketReadMode.BYTES, ch.readMode(), "read mode");
            assertEquals(expected.bytesWanted(), wanted, "bytesWanted()");
        }
    }

    private static int openDevNull() {
        int fd = Opens.openat(Opens.AT_FDCWD, "/dev/null", Opens.O_RDONLY);
        assertTrue(fd >= 0, () -> "open /dev/null: " + Errno.strerror(-fd));
        return fd;
    }

    /** Whether {@code fd} is open on /dev/null: a closed number may have been reused by then, for something else. */
    private static boolean isOurDevNull(int fd) {
        long[] stat = new long[FileStat.STAT_LENGTH];
        return FileStat.fstat(fd, stat) == 0 && stat[FileStat.STAT_INO] == devNull[FileStat.STAT_INO]
                && stat[FileStat.STAT_DEV] == devNull[FileStat.STAT_DEV];
    }

    static byte[] hex(String hex) {
        return java.util.HexFormat.of().parseHex(hex.replaceAll("\\s", ""));
    }

    /**
     * What a v1 client makes of the server's stream, from PROTOCOL-v1 alone: the frames, in the order the
     * "Receiving" section reads them (the 5 bytes of length and type, then the rest), and the descriptor messages
     * after each REPLY. Neither REQUESTs nor ids are known here: matching a REPLY to its request is the client
     * handler's business.
     */
    static final class ReferenceClient {
        private static final int MAGIC = 0x46445053;

        private final int maxFrameLength;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        boolean helloSeen;
        int descriptorsDue;
        /** After a violation or an ERROR: everything is discarded, descriptors closed. */
        boolean failed;
        String why;

        ReferenceClient(int maxFrameLength) {
            this.maxFrameLength = maxFrameLength;
        }

        /** Takes a read's bytes; adds what comes out to {@code out}; whether it is a violation. */
        boolean bytes(byte[] bytes, List<Object> out) {
            if (failed) {
                return false;
            }
            pending.writeBytes(bytes);
            while (true) {
                byte[] b = pending.toByteArray();
                if (descriptorsDue > 0) {
                    return b.length > 0 && violation("bytes where a descriptor message was due");
                }
                if (b.length < 5) {
                    return false;
                }
                long length = RequestFrameJudge.u32(b, 0);
                int type = b[4];
                if (!helloSeen && type != 0x04) {
                    return violation("a first frame other than HELLO");
                }
                if (length == 0 || length > maxFrameLength) {
                    return violation("length " + length);
                }
                int body = (int) length - 1;
                int min = switch (type) {
                    case 0x04 -> 14;
                    case 0x02 -> 6 + 9; // a REPLY has at least one entry
                    case 0x03 -> 4;
                    default -> -1;
                };
                if (min < 0) {
                    return violation("type " + type);
                }
                if (body < min) {
                    return violation("a body too short for its type");
                }
                if (b.length < 5 + body) {
                    return false;
                }
                pending.reset();
                pending.write(b, 5 + body, b.length - 5 - body);
                Object frame = switch (type) {
                    case 0x04 -> hello(b, body);
                    case 0x02 -> reply(b, body);
                    default -> error(b, body);
                };
                if (frame == null) {
                    return true;
                }
                out.add(frame);
                if (failed) {
                    return false; // ERROR: the rest is discarded silently
                }
            }
        }

        /** Takes a descriptor message; adds what comes out to {@code out}; whether it is a violation. */
        boolean descriptor(FileDescriptor fd, List<Object> out) {
            if (failed) {
                return false;
            }
            if (descriptorsDue == 0) {
                return violation("a descriptor that no REPLY announced");
            }
            descriptorsDue--;
            out.add(fd);
            return false;
        }

        int bytesWanted() {
            if (descriptorsDue > 0) {
                return 0;
            }
            byte[] b = pending.toByteArray();
            return b.length < 5 ? 5 - b.length : (int) RequestFrameJudge.u32(b, 0) - 1 - (b.length - 5);
        }

        private FdPassHello hello(byte[] b, int body) {
            if (helloSeen) {
                violation("a second HELLO");
                return null;
            }
            long magic = RequestFrameJudge.u32(b, 5);
            int version = RequestFrameJudge.u16(b, 9);
            int maxNames = RequestFrameJudge.u16(b, 11);
            long maxFrame = RequestFrameJudge.u32(b, 13);
            int maxUnanswered = RequestFrameJudge.u16(b, 17);
            // Bytes past maxUnanswered are room for later versions: ignored.
            if (magic != MAGIC || version != 1 || maxNames < 1 || maxNames > 64 || maxFrame < 8192
                    || maxFrame > 65536 || maxUnanswered < 1) {
                violation("HELLO fields");
                return null;
            }
            helloSeen = true;
            return new FdPassHello(maxNames, (int) maxFrame, maxUnanswered);
        }

        private FdPassReply reply(byte[] b, int body) {
            int id = (int) RequestFrameJudge.u32(b, 5);
            int count = RequestFrameJudge.u16(b, 9);
            if (body != 6 + 9 * count) {
                violation("REPLY count and length disagree");
                return null;
            }
            int[] statuses = new int[count];
            long[] sizes = new long[count];
            int ok = 0;
            for (int i = 0; i < count; i++) {
                int at = 11 + 9 * i;
                statuses[i] = b[at] & 0xff;
                sizes[i] = ByteBuffer.wrap(b, at + 1, 8).getLong();
                // size: st_size when OK (a u64 that a Java long must hold), else 0
                if (statuses[i] == 0 ? sizes[i] < 0 : sizes[i] != 0) {
                    violation("REPLY size");
                    return null;
                }
                if (statuses[i] == 0) {
                    ok++;
                }
            }
            descriptorsDue = ok;
            return new FdPassReply(id, statuses, sizes);
        }

        private FdPassError error(byte[] b, int body) {
            int code = RequestFrameJudge.u16(b, 5);
            int msgLength = RequestFrameJudge.u16(b, 7);
            if (msgLength > 1024 || msgLength != body - 4) {
                violation("ERROR msgLength");
                return null;
            }
            failed = true;
            return new FdPassError(code, utf8(b, 9, msgLength));
        }

        /** UTF-8 "for people": each malformed sequence becomes one '?', so the text never outgrows the bytes. */
        private static String utf8(byte[] b, int at, int length) {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                        .onUnmappableCharacter(CodingErrorAction.REPLACE).replaceWith("?")
                        .decode(ByteBuffer.wrap(b, at, length)).toString();
            } catch (CharacterCodingException e) {
                throw new AssertionError(e);
            }
        }

        private boolean violation(String why) {
            this.why = why;
            failed = true;
            descriptorsDue = 0;
            pending.reset();
            return true;
        }
    }
}
