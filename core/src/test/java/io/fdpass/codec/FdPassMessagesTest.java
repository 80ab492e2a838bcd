package io.fdpass.codec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The messages' own checks, with Netty's message style. */
class FdPassMessagesTest {

    private static void assertIllegal(String message, Executable constructor) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, constructor).getMessage());
    }

    @Test
    void hello() {
        assertIllegal("maxNames: 65 (expected: 1..64)", () -> new FdPassHello(65, 8192, 1));
        assertIllegal("maxNames: 0 (expected: 1..64)", () -> new FdPassHello(0, 8192, 1));
        assertIllegal("maxFrameLength: 8191 (expected: 8192..65536)", () -> new FdPassHello(1, 8191, 1));
        assertIllegal("maxFrameLength: 65537 (expected: 8192..65536)", () -> new FdPassHello(1, 65537, 1));
        assertIllegal("maxUnanswered: 0 (expected: 1..65535)", () -> new FdPassHello(1, 8192, 0));
        assertIllegal("maxUnanswered: 65536 (expected: 1..65535)", () -> new FdPassHello(1, 8192, 65536));
        FdPassHello h = new FdPassHello(64, 65536, 65535);
        assertEquals(64, h.maxNames());
        assertEquals(65536, h.maxFrameLength());
        assertEquals(65535, h.maxUnanswered());
        assertEquals(new FdPassHello(1, 8192, 1), new FdPassHello(1, 8192, 1));
        assertEquals(new FdPassHello(1, 8192, 1).hashCode(), new FdPassHello(1, 8192, 1).hashCode());
        assertNotEquals(new FdPassHello(1, 8192, 1), new FdPassHello(1, 8192, 2));
    }

    @Test
    void request() {
        assertIllegal("count: 0 (expected: 1..65535)", () -> new FdPassRequest(1, List.of()));
        assertIllegal("count: 0 (expected: 1..65535)", () -> FdPassRequest.of(1));
        assertIllegal("count: 65536 (expected: 1..65535)",
                () -> new FdPassRequest(1, Collections.nCopies(65536, new byte[0])));
        assertIllegal("nameLength: 65536 (expected: 0..65535)",
                () -> new FdPassRequest(1, List.of(new byte[1], new byte[65536])));
        assertThrows(NullPointerException.class, () -> new FdPassRequest(1, (List<byte[]>) null));

        // Names are copied in and out.
        byte[] name = {'a'};
        List<byte[]> names = new ArrayList<>(List.of(name));
        FdPassRequest r = new FdPassRequest(-1, names);
        name[0] = 'b';
        names.add(new byte[] {'c'});
        assertEquals(1, r.count());
        assertArrayEquals(new byte[] {'a'}, r.name(0));
        r.name(0)[0] = 'z';
        assertArrayEquals(new byte[] {'a'}, r.name(0));
        assertEquals("4294967295", Integer.toUnsignedString(r.id()));
        assertEquals(FdPassRequest.of(-1, "a"), r);
        assertEquals(FdPassRequest.of(-1, "a").hashCode(), r.hashCode());
        assertNotEquals(FdPassRequest.of(0, "a"), r);
        assertNotEquals(FdPassRequest.of(-1, "a", "a"), r);
        assertEquals(1 + 6 + 2 + 1, r.frameLength());
        // A name of 0 or 65535 bytes travels; the server judges it.
        assertEquals(2, new FdPassRequest(1, List.of(new byte[0], new byte[65535])).count());

        // Or into an array of the caller's, each name at its start.
        FdPassRequest three = FdPassRequest.of(7, "one", "", "three");
        byte[] into = {'x', 'x', 'x', 'x', 'x', 'x'};
        assertEquals(5, three.nameLength(2));
        three.getName(2, into);
        assertArrayEquals(new byte[] {'t', 'h', 'r', 'e', 'e', 'x'}, into);
        assertEquals(0, three.nameLength(1));
        three.getName(0, into);
        assertArrayEquals(new byte[] {'o', 'n', 'e', 'e', 'e', 'x'}, into);
        assertThrows(IndexOutOfBoundsException.class, () -> three.getName(2, new byte[4]));
        assertThrows(IndexOutOfBoundsException.class, () -> three.nameLength(3));
    }

    @Test
    void reply() {
        assertIllegal("sizes[1]: 5 (expected: 0 for status 1)",
                () -> new FdPassReply(1, new int[] {0, 1}, new long[] {5, 5}));
        assertIllegal("sizes[0]: -1 (expected: >= 0)", () -> new FdPassReply(1, new int[] {0}, new long[] {-1}));
        assertIllegal("sizes[0]: 1 (expected: 0 for status 200)",
                () -> new FdPassReply(1, new int[] {200}, new long[] {1}));
        assertIllegal("statusCodes[0]: 256 (expected: 0..255)",
                () -> new FdPassReply(1, new int[] {256}, new long[] {0}));
        assertIllegal("statusCodes[0]: -1 (expected: 0..255)",
                () -> new FdPassReply(1, new int[] {-1}, new long[] {0}));
        assertIllegal("count: 0 (expected: 1..65535)", () -> new FdPassReply(1, new int[0], new long[0]));
        assertIllegal("sizes: 1 (expected: 2)", () -> new FdPassReply(1, new int[] {1, 1}, new long[] {0}));

        FdPassReply r = new FdPassReply(1, new int[] {0, 1, 0, 200, 6}, new long[] {0, 0, Long.MAX_VALUE, 0, 0});
        assertEquals(2, r.descriptorCount());
        assertEquals(FileStatus.OK, r.status(0));
        assertEquals(FileStatus.UNKNOWN, r.status(3));
        assertEquals(200, r.statusCode(3));
        assertEquals(FileStatus.LIMIT_EXCEEDED, r.status(4));
        assertEquals(Long.MAX_VALUE, r.size(2));

        // The arrays are copied.
        int[] statuses = {0};
        long[] sizes = {3};
        FdPassReply copied = new FdPassReply(1, statuses, sizes);
        statuses[0] = 1;
        sizes[0] = 4;
        assertEquals(3, copied.size(0));
        assertEquals(FileStatus.OK, copied.status(0));
        assertEquals(new FdPassReply(1, new int[] {0}, new long[] {3}), copied);
        assertNotEquals(new FdPassReply(1, new int[] {0}, new long[] {4}), copied);
    }

    @Test
    void error() {
        assertIllegal("message length: 1025 (expected: 0..1024)",
                () -> new FdPassError(ErrorCode.MALFORMED_FRAME, "x".repeat(1025)));
        // 342 characters, 1026 bytes of UTF-8
        assertIllegal("message length: 1026 (expected: 0..1024)",
                () -> new FdPassError(ErrorCode.MALFORMED_FRAME, "€".repeat(342)));
        assertIllegal("code: 65536 (expected: 0..65535)", () -> new FdPassError(65536, ""));
        assertIllegal("code: -1 (expected: 0..65535)", () -> new FdPassError(-1, ""));
        // UNKNOWN has no wire code
        assertThrows(IllegalArgumentException.class, () -> new FdPassError(ErrorCode.UNKNOWN, ""));
        assertThrows(NullPointerException.class, () -> new FdPassError(ErrorCode.MALFORMED_FRAME, null));
        assertThrows(NullPointerException.class, () -> new FdPassError((ErrorCode) null, ""));

        assertEquals(1024, new FdPassError(1, "x".repeat(1024)).message().length());
        FdPassError e = new FdPassError(ErrorCode.FRAME_TOO_LARGE, "big");
        assertEquals(2, e.code());
        assertEquals(ErrorCode.FRAME_TOO_LARGE, e.errorCode());
        assertEquals(new FdPassError(2, "big"), e);
        assertEquals(new FdPassError(2, "big").hashCode(), e.hashCode());
        assertNotEquals(new FdPassError(2, "bug"), e);
        assertEquals(ErrorCode.UNKNOWN, new FdPassError(0, "").errorCode());
    }
}
