package io.fdpass.files;

import io.fdpass.codec.FdPassProtocol;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NamesTest {

    /** Whether the name is valid, checking that {@link Names#problem} finds a problem exactly when it is not. */
    private static boolean isValid(byte[] name) {
        boolean valid = Names.isValid(name);
        String problem = Names.problem(name, name.length);
        assertEquals(valid, problem == null, () -> HexFormat.of().formatHex(name) + ": " + problem);
        return valid;
    }

    private static String problem(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        return Names.problem(bytes, bytes.length);
    }

    @Test
    void aProblemSaysWhichPartOfTheRuleIsBroken() {
        assertNull(problem("a/b.txt"));
        assertEquals("empty", problem(""));
        assertEquals("too long: 5000 bytes (expected: at most 4096)", problem("a".repeat(5000)));
        assertEquals("absolute: it begins with '/' (names are relative to the server's root)", problem("/etc/passwd"));
        assertEquals("absolute: it begins with '/' (names are relative to the server's root)", problem("/"));
        assertEquals("an empty component ('//')", problem("a//b"));
        assertEquals("an empty component: it ends with '/'", problem("a/"));
        assertEquals("a '..' component", problem("private/../a.txt"));
        assertEquals("a '..' component", problem("../etc/passwd"));
        assertEquals("a '..' component", problem("a/.."));
        assertEquals("a '.' component", problem("./a"));
        assertEquals("a '.' component", problem("a/."));
        assertEquals("a '.' component", problem("."));
        assertEquals("a NUL byte at offset 1", problem("a\0b"));
        assertEquals("not strict UTF-8 (RFC 3629) at byte offset 2", Names.problem(new byte[] {'a', 'b', (byte) 0x80},
                3), "a continuation byte without its lead");
        assertEquals("not strict UTF-8 (RFC 3629) at byte offset 1", Names.problem(new byte[] {'a', (byte) 0xC0,
                (byte) 0x80}, 3), "an overlong form");
        assertEquals("not strict UTF-8 (RFC 3629): it ends inside a character",
                Names.problem(new byte[] {'a', (byte) 0xE2, (byte) 0x82}, 3));
        assertEquals("a '..' component", Names.problem("../x".getBytes(StandardCharsets.UTF_8), 2),
                "only the first length bytes");
    }

    private static boolean isValid(String name) {
        return isValid(name.getBytes(StandardCharsets.UTF_8));
    }

    private static boolean isValidHex(String hex) {
        return isValid(HexFormat.of().parseHex(hex.replace(" ", "")));
    }

    @Test
    void plainNames() {
        assertTrue(isValid("a"));
        assertTrue(isValid("courses.txt"));
        assertTrue(isValid("dir/sub/file"));
        assertTrue(isValid(".hidden"));
        assertTrue(isValid("a/.hidden/b"));
        assertTrue(isValid("..."));
        assertTrue(isValid("a/.../b"));
        assertTrue(isValid("..a/a.."));
        assertTrue(isValid("a b\tc\n"));
    }

    @Test
    void structureRules() {
        for (String name : new String[] {"", "/", "/a", "//a", "a/", "a//b", "a/b/", ".", "..", "./a", "a/.",
                "a/./b", "../a", "a/..", "d/../d/x", "a/../b", "a/b/.."}) {
            assertFalse(isValid(name), name);
        }
    }

    @Test
    void nulIsRefusedAnywhere() {
        assertFalse(isValid("\0"));
        assertFalse(isValid("a\0"));
        assertFalse(isValid("a\0b"));
        assertFalse(isValid("a/\0/b"));
    }

    @Test
    void lengthIsOneTo4096Bytes() {
        byte[] name = new byte[FdPassProtocol.MAX_NAME_LENGTH];
        Arrays.fill(name, (byte) 'a');
        assertTrue(isValid(name));
        for (int i = 1; i < name.length - 1; i += 2) {
            name[i] = '/';
        }
        assertTrue(isValid(name), "a/a/.../a");
        byte[] tooLong = new byte[FdPassProtocol.MAX_NAME_LENGTH + 1];
        Arrays.fill(tooLong, (byte) 'a');
        assertFalse(isValid(tooLong));
        assertFalse(Names.isValid(new byte[0]));
    }

    @Test
    void wellFormedUtf8() {
        assertTrue(isValid("caf\u00e9/na\u00efve"));
        assertTrue(isValid("\u65e5\u672c\u8a9e"));
        assertTrue(isValid("\ud83d\ude00.txt"));
        assertTrue(isValidHex("C2 80")); // U+0080, the first 2-byte
        assertTrue(isValidHex("DF BF")); // U+07FF
        assertTrue(isValidHex("E0 A0 80")); // U+0800, the first 3-byte
        assertTrue(isValidHex("ED 9F BF")); // U+D7FF, just below the surrogates
        assertTrue(isValidHex("EE 80 80")); // U+E000, just above them
        assertTrue(isValidHex("EF BF BF")); // U+FFFF
        assertTrue(isValidHex("F0 90 80 80")); // U+10000, the first 4-byte
        assertTrue(isValidHex("F4 8F BF BF")); // U+10FFFF, the last
        assertTrue(isValidHex("61 2F C3 A9")); // a/é
    }

    @Test
    void malformedUtf8() {
        String[] bad = {
            "C0 AF", // overlong '/'
            "C1 BF", // overlong
            "E0 80 AF", // overlong '/' in 3 bytes
            "E0 9F BF", // overlong U+07FF
            "F0 80 80 AF", // overlong '/' in 4 bytes
            "F0 8F BF BF", // overlong U+FFFF
            "ED A0 80", // U+D800, a surrogate
            "ED BF BF", // U+DFFF
            "ED A0 BD ED B8 80", // a surrogate pair, CESU-8 style
            "F4 90 80 80", // U+110000
            "F5 80 80 80", "F8 88 80 80 80", "FC 84 80 80 80 80", "FE", "FF",
            "80", "BF", "61 80", // continuation without a lead
            "C3", "61 C3", "E2 82", "F0 9F 98", // truncated at the end
            "C3 61", "E2 82 61", "F0 9F 98 61", // truncated by an ASCII byte
            "C3 2F 61", // truncated by '/'
            "C3 C3 A9", // a lead where a continuation is due
        };
        for (String hex : bad) {
            assertFalse(isValidHex(hex), hex);
            assertFalse(isValidHex("61 2F " + hex + " 2F 62"), "inside a/…/b: " + hex);
        }
    }
}
