package io.fdpass.testsuite;

import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassError;
import io.fdpass.codec.FdPassReply;
import io.fdpass.server.FdPassServer;
import io.netty.channel.unix.FileDescriptor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static io.fdpass.internal.FileReads.pread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A faulty frame gets its ERROR only after the replies to the requests before it, every descriptor of those replies
 * reaches the client although the server then closes, and other clients go on being served.
 */
public abstract class AbstractMalformedFrameTest extends AbstractFdPassTest {
    /** REQUEST id 1 for courses.txt, campusinfo.txt, contacts.txt. */
    private static final String GOOD_1 = "00 00 00 32 01 00000001 0003 000b 636f75727365732e747874"
            + " 000e 63616d707573696e666f2e747874 000c 636f6e74616374732e747874";
    /** REQUEST id 2 for the same names. */
    private static final String GOOD_2 = GOOD_1.replace("00000001", "00000002");

    static Stream<Arguments> faultyFrames() {
        // 65 names of one byte ("a"), filling the body exactly: length = type + id + count + 65 × 3 = 202.
        StringBuilder tooMany = new StringBuilder("000000ca 01 00000009 0041");
        tooMany.append(" 0001 61".repeat(65));
        return Stream.of(
                Arguments.of("length 0", "00000000 01", ErrorCode.MALFORMED_FRAME),
                Arguments.of("length over the limit", "00010001 01", ErrorCode.FRAME_TOO_LARGE),
                Arguments.of("unknown type", "00000002 7f 00", ErrorCode.UNSUPPORTED_TYPE),
                Arguments.of("a REPLY sent to the server", "0000000b 02 00000009 0001 0000000000000000 00",
                        ErrorCode.UNSUPPORTED_TYPE),
                Arguments.of("count 0", "00000007 01 00000009 0000", ErrorCode.MALFORMED_FRAME),
                Arguments.of("count over the limit", tooMany.toString(), ErrorCode.TOO_MANY_NAMES),
                Arguments.of("names short of the body", "0000000b 01 00000009 0001 0001 61 ff",
                        ErrorCode.MALFORMED_FRAME),
                Arguments.of("names past the body", "0000000a 01 00000009 0001 0005 61",
                        ErrorCode.MALFORMED_FRAME),
                Arguments.of("no room for id and count", "00000004 01 000000", ErrorCode.MALFORMED_FRAME));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("faultyFrames")
    void errorComesAfterTheRepliesBeforeItWithAllTheirDescriptors(String what, String frame, ErrorCode code)
            throws Exception {
        try (FdPassServer server = server().start(); RawClient raw = new RawClient(transport(), socket)) {
            raw.writeHex(GOOD_1 + GOOD_2 + frame);
            expectScenarioReply(raw, 1);
            expectScenarioReply(raw, 2);
            FdPassError error = raw.next(FdPassError.class);
            assertEquals(code, error.errorCode(), error.toString());
            // The client has read everything, so the closing rule lets the server close now.
            assertSame(RawClient.CLOSED, raw.next());
            stillServesOthers();
        }
    }

    @ParameterizedTest(name = "end of stream after {0} bytes of a frame")
    @MethodSource("partialFrames")
    void endOfStreamInsideAFrameIsMalformedAfterTheReplies(int bytes) throws Exception {
        try (FdPassServer server = server().start(); RawClient raw = new RawClient(transport(), socket)) {
            raw.writeHex(GOOD_1 + GOOD_2 + GOOD_1.replace(" ", "").substring(0, bytes * 2));
            raw.shutdownOutput();
            expectScenarioReply(raw, 1);
            expectScenarioReply(raw, 2);
            assertEquals(ErrorCode.MALFORMED_FRAME, raw.next(FdPassError.class).errorCode());
            assertSame(RawClient.CLOSED, raw.next());
            stillServesOthers();
        }
    }

    static Stream<Integer> partialFrames() {
        return Stream.of(1, 4, 5, 20);
    }

    private void expectScenarioReply(RawClient raw, int id) throws Exception {
        FdPassReply reply = raw.next(FdPassReply.class);
        assertEquals(id, reply.id());
        assertEquals(3, reply.descriptorCount());
        String[] expected = {COURSES, CAMPUSINFO, CONTACTS};
        for (String content : expected) {
            FileDescriptor fd = raw.next(FileDescriptor.class);
            ByteBuffer bytes = ByteBuffer.allocate(64);
            try {
                assertTrue(pread(fd.intValue(), bytes, 0) >= 0);
            } finally {
                fd.close();
            }
            assertEquals(content, new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8));
        }
    }

    private void stillServesOthers() throws Exception {
        try (FdPassClient client = connect(); ReceivedReply reply = client.request("contacts.txt").join()) {
            assertEquals(CONTACTS, AbstractServeTest.readAll(reply.entry(0).file()));
        }
    }
}
