package io.fdpass.client;

import io.fdpass.codec.FileStatus;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** What an entry says about a name that was not opened. */
class ReceivedReplyTest {
    private static String reason(String name, FileStatus status) {
        return new ReceivedReply.Entry(name, status.code(), 0, null).reason();
    }

    @Test
    void anInvalidNameSaysWhichRuleItBreaksFromTheNameAsSent() {
        assertEquals("invalid name: empty", reason("", FileStatus.INVALID_NAME));
        assertEquals("invalid name: too long: 5000 bytes (expected: at most 4096)",
                reason("a".repeat(5000), FileStatus.INVALID_NAME));
        assertEquals("invalid name: too long: 4098 bytes (expected: at most 4096)",
                reason("\u00e9".repeat(2049), FileStatus.INVALID_NAME), "bytes of UTF-8, not characters");
        assertEquals("invalid name: a '..' component", reason("private/../a.txt", FileStatus.INVALID_NAME));
        assertEquals("invalid name: absolute: it begins with '/' (names are relative to the server's root)",
                reason("/etc/passwd", FileStatus.INVALID_NAME));
        assertEquals("it leads outside the server's root (a symlink out of it, a loop, a magic link) or holds a "
                + "component too long for its filesystem", reason("link.txt", FileStatus.INVALID_NAME),
                "a valid name that the server refused as it resolved it");
    }

    @Test
    void theOtherStatusesSayWhatTheyMean() {
        assertNull(new ReceivedReply.Entry("a", 0, 3, null).reason(), "an entry without a file is still OK here");
        assertEquals("no such file under the server's root", reason("a", FileStatus.NOT_FOUND));
        assertEquals("not a regular file", reason("a", FileStatus.NOT_REGULAR_FILE));
        assertEquals("failed with status 200, which this client does not know",
                new ReceivedReply.Entry("a", 200, 0, null).reason());
    }
}
