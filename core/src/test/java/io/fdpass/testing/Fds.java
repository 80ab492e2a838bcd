package io.fdpass.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.IntSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Counts this process's open descriptors, to prove that nothing leaked. */
public final class Fds {
    private Fds() {
    }

    /** Where this process's descriptors are listed: /proc on Linux, /dev/fd on macOS. */
    private static final Path OPEN = Files.isDirectory(Path.of("/proc/self/fd")) ? Path.of("/proc/self/fd")
            : Path.of("/dev/fd");

    public static int count() {
        try (Stream<Path> fds = Files.list(OPEN)) {
            return (int) fds.count() - 1; // the directory stream's own
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until the count is back at {@code baseline}. Threads of a shut-down event loop close their descriptors
     * as they terminate, so the count settles shortly after; a leak never does, and the wait ends in a failure.
     */
    public static void assertBackTo(int baseline) {
        assertEventually(baseline, Fds::count, "open descriptors");
    }

    static void assertEventually(int expected, IntSupplier actual, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int now;
        while ((now = actual.getAsInt()) != expected && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            Thread.yield();
        }
        assertEquals(expected, now, what);
    }
}
