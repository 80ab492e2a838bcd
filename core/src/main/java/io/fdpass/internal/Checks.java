package io.fdpass.internal;

/** Argument checks with Netty's message style: {@code "count: 70 (expected: 1..64)"}. */
public final class Checks {
    private Checks() {
    }

    public static int checkInRange(int value, int min, int max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + ".." + max + ")");
        }
        return value;
    }

    public static long checkPositive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
        return value;
    }
}
