package io.fdpass.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliTest {
    @Test
    void escapesBytesIntoOnePrintableLine() {
        byte[] b = "Course1\nCourse2\n\t\\ \r\u0000\u00e9".getBytes(StandardCharsets.UTF_8);
        assertEquals("Course1\\nCourse2\\n\\t\\\\ \\r\\x00\\xc3\\xa9", Cli.escape(b, b.length));
        assertEquals("Cou", Cli.escape(b, 3));
    }

    @Test
    void escapesNamesButKeepsUnicode() {
        assertEquals("caf\u00e9\\nx\\x1b", Cli.escape("caf\u00e9\nx\u001b"));
    }

    @Test
    void longNamesAreShownCutWithTheirLength() {
        String name = "a/".repeat(2500);
        assertEquals("a/".repeat(40) + "... (5000 bytes)", Cli.displayName(name));
        assertEquals("caf\u00e9\\n", Cli.displayName("caf\u00e9\n"));
        String exactly = "x".repeat(Cli.NAME_SHOWN);
        assertEquals(exactly, Cli.displayName(exactly));
    }

    @Test
    void theEmptyNameShows() {
        assertEquals("\"\"", Cli.displayName(""));
    }

    @Test
    void parsesModes() {
        assertEquals("rw-rw----", PosixFilePermissions.toString(Cli.Mode.parse("0660").permissions()));
        assertEquals("rw-rw-rw-", PosixFilePermissions.toString(Cli.Mode.parse("666").permissions()));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Cli.Mode.parse("rw-r-----").permissions()));
        assertEquals("0640", Cli.Mode.parse("rw-r-----").toString());
        assertThrows(IllegalArgumentException.class, () -> Cli.Mode.parse("4755"));
        assertThrows(IllegalArgumentException.class, () -> Cli.Mode.parse("rw"));
    }

    @Test
    void parsesDurations() {
        assertEquals(Duration.ofSeconds(10), Cli.duration("10s"));
        assertEquals(Duration.ofMillis(500), Cli.duration("500ms"));
        assertEquals(Duration.ofMinutes(2), Cli.duration("2m"));
        assertEquals(Duration.ZERO, Cli.duration("0"));
        assertEquals(Duration.ofSeconds(3), Cli.duration("PT3S"));
        assertEquals("'5' needs a unit: ms, s, m or h (e.g. 10s)",
                assertThrows(IllegalArgumentException.class, () -> Cli.duration("5")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Cli.duration("PT-3S"));
        assertThrows(IllegalArgumentException.class, () -> Cli.duration("soon"));
    }

    @Test
    void takesTheTransportsOnTheClassPathByName() {
        assertEquals("io_uring", Cli.transport("io_uring").name());
        assertEquals("epoll", Cli.transport("epoll").name());
        assertEquals("transport: uring (expected: one of epoll, io_uring, kqueue)",
                assertThrows(IllegalArgumentException.class, () -> Cli.transport("uring")).getMessage());
    }

    @Test
    void describesFileErrorsInOneLine() {
        assertEquals("/x: no such file or directory", Cli.describe(new java.nio.file.NoSuchFileException("/x")));
        assertEquals("a", Cli.describe(new java.util.concurrent.CompletionException(new java.io.IOException("a\nb"))));
    }

    /** The README's synopses list every option, in the order --help lists them. */
    @Test
    void theReadmesSynopsesFollowHelp() throws IOException {
        String readme = Files.readString(Path.of("").toAbsolutePath().getParent().resolve("README.md"));
        assertEquals(new ServerMain().options.optionNames(), synopsis(readme, "**Server**: `"));
        assertEquals(new ClientMain().options.optionNames(), synopsis(readme, "**Client**: `"));
    }

    private static List<String> synopsis(String readme, String start) {
        int from = readme.indexOf(start);
        assertTrue(from >= 0, "no " + start + " in the README");
        String text = readme.substring(from + start.length(), readme.indexOf('`', from + start.length()));
        return Pattern.compile("--[a-z-]+").matcher(text).results().map(m -> m.group()).toList();
    }
}
