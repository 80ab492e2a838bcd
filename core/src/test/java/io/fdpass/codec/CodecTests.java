package io.fdpass.codec;

import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.Opens;
import io.fdpass.testing.ReadModeChannel;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.unix.FileDescriptor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared bytes and helpers of the codec tests: the examples of PROTOCOL-v1, frame builders, real descriptors. */
final class CodecTests {
    // The "Examples" section of PROTOCOL-v1, as printed there.
    static final String HELLO_HEX = "00 00 00 0f  04  46 44 50 53  00 01  00 40  00 01 00 00  00 20";
    static final String REQUEST_HEX = """
            00 00 00 21  01  00 00 00 07  00 02
            00 0b 63 6f 75 72 73 65 73 2e 74 78 74
            00 0b 6d 69 73 73 69 6e 67 2e 74 78 74""";
    static final String REPLY_HEX = """
            00 00 00 19  02  00 00 00 07  00 02
            00  00 00 00 00 00 00 00 10
            01  00 00 00 00 00 00 00 00""";
    static final String ERROR_HEX = "00 00 00 08  03  00 01  00 03  62 61 64";

    static final FdPassHello HELLO = new FdPassHello(64, 65536, 32);
    static final FdPassRequest REQUEST = FdPassRequest.of(7, "courses.txt", "missing.txt");
    static final FdPassReply REPLY = new FdPassReply(7, new int[] {0, 1}, new long[] {16, 0});
    static final FdPassError ERROR = new FdPassError(ErrorCode.MALFORMED_FRAME, "bad");

    private CodecTests() {
    }

    static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex.replaceAll("\\s", ""));
    }

    static ByteBuf buf(String hex) {
        return track(Unpooled.wrappedBuffer(bytes(hex)));
    }

    static ByteBuf buf(byte[]... parts) {
        return track(Unpooled.wrappedBuffer(concat(parts)));
    }

    /** {@code length} bytes of {@code array} from {@code offset}, as a tracked buffer. */
    static ByteBuf slice(byte[] array, int offset, int length) {
        return track(Unpooled.wrappedBuffer(array, offset, length));
    }

    // ---- leak tracking ----
    // Every buffer a test feeds in, and every buffer a channel allocates (cumulations, encoder output), is tracked:
    // a test ends with all of them released. Deterministic, and independent of Netty's GC-driven leak detector.

    private static final List<ByteBuf> TRACKED = new ArrayList<>();
    static final ByteBufAllocator ALLOC = new TrackingAllocator();

    static <T extends ByteBuf> T track(T buf) {
        synchronized (TRACKED) {
            TRACKED.add(buf);
        }
        return buf;
    }

    /** Fails if a tracked buffer was not released, releasing it so that one failure does not spread. */
    static void assertAllReleased() {
        List<ByteBuf> leaked = new ArrayList<>();
        synchronized (TRACKED) {
            for (ByteBuf b : TRACKED) {
                if (b.refCnt() != 0) {
                    leaked.add(b);
                }
            }
            TRACKED.clear();
        }
        List<String> described = leaked.stream().map(b -> b + " refCnt " + b.refCnt()).toList();
        for (ByteBuf b : leaked) {
            b.release(b.refCnt());
        }
        assertEquals(List.of(), described, "buffers not released");
    }

    /** An EmbeddedChannel whose buffers come from the tracking allocator. */
    static EmbeddedChannel channel(ChannelHandler... handlers) {
        EmbeddedChannel ch = new EmbeddedChannel(handlers);
        ch.config().setAllocator(ALLOC);
        return ch;
    }

    private static final class TrackingAllocator extends AbstractByteBufAllocator {
        TrackingAllocator() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return track(Unpooled.buffer(initialCapacity, maxCapacity));
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return track(Unpooled.directBuffer(initialCapacity, maxCapacity));
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    static String hex(String spaced) {
        return spaced.replaceAll("\\s", "").toLowerCase();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** A frame: {@code u32 length} (1 + body), {@code u8 type}, body. */
    static byte[] frame(int type, byte[] body) {
        return concat(u32(1L + body.length), new byte[] {(byte) type}, body);
    }

    /** A REQUEST body with whatever count it is told, so that count and names may disagree. */
    static byte[] requestBody(int id, int count, byte[]... names) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(u32(id & 0xFFFFFFFFL));
        out.writeBytes(u16(count));
        for (byte[] name : names) {
            out.writeBytes(u16(name.length));
            out.writeBytes(name);
        }
        return out.toByteArray();
    }

    static byte[] request(int id, byte[]... names) {
        return frame(FdPassProtocol.TYPE_REQUEST, requestBody(id, names.length, names));
    }

    static byte[] u32(long v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    static byte[] u16(int v) {
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }

    static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Reads one outbound buffer, returns its bytes as hex and releases it. */
    static String readOutboundHex(EmbeddedChannel ch) {
        ByteBuf out = ch.readOutbound();
        assertNotNull(out, "no outbound buffer");
        try {
            return ByteBufUtil.hexDump(out);
        } finally {
            out.release();
        }
    }

    /** Reads all outbound buffers into one array, releasing them. */
    static byte[] readAllOutbound(EmbeddedChannel ch) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (ByteBuf out; (out = ch.readOutbound()) != null; ) {
            try {
                bytes.writeBytes(ByteBufUtil.getBytes(out));
            } finally {
                out.release();
            }
        }
        return bytes.toByteArray();
    }

    /** Opens {@code file} read-only and without close-on-exec, so that a test sees who sets it. */
    static TestFd open(Path file) {
        int fd = Opens.openat(Opens.AT_FDCWD, file.toString(), Opens.O_RDONLY);
        assertTrue(fd >= 0, () -> "open " + file + ": " + Errno.strerror(-fd));
        return new TestFd(fd);
    }

    static boolean isCloseOnExec(FileDescriptor fd) {
        int flags = Descriptors.getFdFlags(fd.intValue());
        assertTrue(flags >= 0, () -> "F_GETFD " + fd + ": " + Errno.strerror(-flags));
        return (flags & Descriptors.FD_CLOEXEC) != 0;
    }

    /**
     * A real descriptor that closes itself through {@link Descriptors#close}: core's tests run without a Netty native
     * transport, so {@link FileDescriptor#close()}'s JNI method is not there.
     */
    static final class TestFd extends FileDescriptor {
        TestFd(int fd) {
            super(fd);
        }

        /**
         * Asserts that someone else closed this descriptor (fdpass closes through FFM, which leaves a
         * FileDescriptor's own state alone), and marks it closed so that the test does not close the number again.
         */
        void assertClosedElsewhere() {
            assertTrue(isOpen(), "closed by the test itself");
            int flags = Descriptors.getFdFlags(intValue());
            assertEquals(-Errno.EBADF, flags, () -> this + " is still open");
            markClosed();
        }

        @Override
        public void close() throws IOException {
            if (markClosed()) {
                int r = Descriptors.close(intValue());
                if (r < 0) {
                    throw new IOException("close " + intValue() + ": " + Errno.strerror(-r));
                }
            }
        }
    }

    /** A channel that keeps the read mode the decoder sets, allocating from the tracking allocator. */
    static ReadModeChannel readModeChannel() {
        ReadModeChannel ch = new ReadModeChannel();
        ch.config().setAllocator(ALLOC);
        return ch;
    }

    static void assertNoMoreInbound(EmbeddedChannel ch) {
        Object m = ch.readInbound();
        assertEquals(null, m, "unexpected inbound message");
    }
}
