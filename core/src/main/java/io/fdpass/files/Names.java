package io.fdpass.files;

import io.fdpass.codec.FdPassProtocol;


/**
 * The rule of protocol v1, "Names": 1..4096 bytes of strict UTF-8 (RFC 3629) without NUL, relative, and every
 * component between slashes non-empty and neither {@code .} nor {@code ..}.
 *
 * <p>Rejecting {@code .}, {@code ..} and empty components even where they would stay inside the root keeps every
 * valid name's meaning obvious and leaves the kernel (or the walking opener) only symlinks to judge. The check is
 * one pass of a small state machine over the bytes, which judges a name without decoding it. The same machine says
 * which part of the rule a name breaks ({@link #problem}), for the messages of a client that sent it: the wire says
 * only INVALID_NAME.
 */
public final class Names {
    /*
     * The state is an int: bits 0-1 say what the current component holds so far, bits 2-3 how many UTF-8
     * continuation bytes are still due, bits 4-6 which range the next one must fall in (RFC 3629's table: the
     * second byte after E0, ED, F0 and F4 is narrower, which is what excludes overlong forms, surrogates and code
     * points above U+10FFFF). A negative state is final: invalid.
     */
    private static final int INVALID = -1;
    private static final int EMPTY = 0;
    private static final int DOT = 1;
    private static final int DOT_DOT = 2;
    private static final int OTHER = 3;
    private static final int PENDING_SHIFT = 2;
    private static final int RANGE_SHIFT = 4;
    private static final int RANGE_A0_BF = 1; // after E0: no overlong 3-byte forms
    private static final int RANGE_80_9F = 2; // after ED: no surrogates
    private static final int RANGE_90_BF = 3; // after F0: no overlong 4-byte forms
    private static final int RANGE_80_8F = 4; // after F4: nothing above U+10FFFF

    private Names() {
    }

    public static boolean isValid(byte[] name) {
        return isValid(name, name.length);
    }

    /** Whether {@code name[0, length)} is a valid name. */
    public static boolean isValid(byte[] name, int length) {
        if (length == 0 || length > FdPassProtocol.MAX_NAME_LENGTH) {
            return false;
        }
        int state = EMPTY;
        for (int i = 0; i < length; i++) {
            state = next(state, name[i] & 0xFF);
            if (state < 0) {
                return false;
            }
        }
        return state == OTHER;
    }

    /**
     * Which part of the rule {@code name[0, length)} breaks, in words for a message that begins "invalid name: " (such
     * as {@code "a '..' component"}), or null if it is valid: exactly when {@link #isValid(byte[], int)} is false.
     */
    public static String problem(byte[] name, int length) {
        if (length == 0) {
            return "empty";
        }
        if (length > FdPassProtocol.MAX_NAME_LENGTH) {
            return "too long: " + length + " bytes (expected: at most " + FdPassProtocol.MAX_NAME_LENGTH + ")";
        }
        int state = EMPTY;
        for (int i = 0; i < length; i++) {
            int b = name[i] & 0xFF;
            int next = next(state, b);
            if (next < 0) {
                return problem(state, b, i);
            }
            state = next;
        }
        return state == OTHER ? null : problem(state, -1, length);
    }

    /** What made {@code state} fail at byte {@code b} (-1: the end of the name) of offset {@code at}. */
    private static String problem(int state, int b, int at) {
        if ((state >>> PENDING_SHIFT & 3) != 0) {
            return b < 0 ? "not strict UTF-8 (RFC 3629): it ends inside a character"
                    : "not strict UTF-8 (RFC 3629) at byte offset " + at;
        }
        if (b == '/' || b < 0) {
            return switch (state) {
                case DOT -> "a '.' component";
                case DOT_DOT -> "a '..' component";
                default -> at == 0 ? "absolute: it begins with '/' (names are relative to the server's root)"
                        : b < 0 ? "an empty component: it ends with '/'" : "an empty component ('//')";
            };
        }
        return b == 0 ? "a NUL byte at offset " + at : "not strict UTF-8 (RFC 3629) at byte offset " + at;
    }

    private static int next(int state, int b) {
        int pending = (state >>> PENDING_SHIFT) & 3;
        if (pending != 0) {
            int range = state >>> RANGE_SHIFT;
            int low = range == RANGE_A0_BF ? 0xA0 : range == RANGE_90_BF ? 0x90 : 0x80;
            int high = range == RANGE_80_9F ? 0x9F : range == RANGE_80_8F ? 0x8F : 0xBF;
            return b < low || b > high ? INVALID : OTHER | (pending - 1) << PENDING_SHIFT;
        }
        if (b == '/') {
            return state == OTHER ? EMPTY : INVALID; // also refuses a leading '/'
        }
        if (b == '.') {
            return state == EMPTY ? DOT : state == DOT ? DOT_DOT : OTHER;
        }
        if (b < 0x80) {
            return b == 0 ? INVALID : OTHER;
        }
        if (b < 0xC2) { // a continuation byte without a lead, or C0/C1: overlong 2-byte forms
            return INVALID;
        }
        if (b < 0xE0) {
            return OTHER | 1 << PENDING_SHIFT;
        }
        if (b < 0xF0) {
            int range = b == 0xE0 ? RANGE_A0_BF : b == 0xED ? RANGE_80_9F : 0;
            return OTHER | 2 << PENDING_SHIFT | range << RANGE_SHIFT;
        }
        if (b < 0xF5) {
            int range = b == 0xF0 ? RANGE_90_BF : b == 0xF4 ? RANGE_80_8F : 0;
            return OTHER | 3 << PENDING_SHIFT | range << RANGE_SHIFT;
        }
        return INVALID;
    }
}
