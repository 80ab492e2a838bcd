package io.fdpass.codec;

/** Argument checks with Netty's message style: {@code "count: 70 (expected: 1..64)"}. */
final class Checks {
    private Checks() {
    }

    static int checkInRange(int value, int min, int max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + ".." + max + ")");
        }
        return value;
    }
}
