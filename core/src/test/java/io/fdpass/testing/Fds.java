package io.fdpass.testing;

import io.fdpass.internal.FileReads;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.IntSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Counts this process's open descriptors, to prove that nothing leaked, and reads what one refers to. */
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
        int now = awaitCount(baseline, Fds::count);
        assertEquals(baseline, now, () -> "open descriptors: " + list());
    }

    /** What each open descriptor refers to, for a failure's message; a Unix socket's line of /proc/net/unix too. */
    private static String list() {
        StringBuilder out = new StringBuilder();
        try (Stream<Path> fds = Files.list(OPEN)) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    out.append(fd.getFileName()).append("->").append(target).append(unixSocket(target)).append(' ');
                } catch (IOException | UnsupportedOperationException e) {
                    out.append(fd.getFileName()).append(' ');
                }
            }
        } catch (IOException e) {
            out.append(e);
        }
        return out.toString();
    }

    /** For {@code socket:[INODE]}, its flags, type, state and path in /proc/net/unix, if it is there. */
    private static String unixSocket(String target) {
        if (!target.startsWith("socket:[")) {
            return "";
        }
        String inode = target.substring("socket:[".length(), target.length() - 1);
        try (Stream<String> lines = Files.lines(Path.of("/proc/net/unix"))) {
            return lines.map(l -> l.trim().split("\\s+")).filter(f -> f.length > 6 && f[6].equals(inode))
                    .map(f -> "(flags " + f[3] + " state " + f[5] + (f.length > 7 ? " " + f[7] : "") + ")")
                    .findFirst().orElse("");
        } catch (IOException e) {
            return "";
        }
    }

    static void assertEventually(int expected, IntSupplier actual, String what) {
        assertEquals(expected, awaitCount(expected, actual), what);
    }

    /** {@code actual} once it is {@code expected}, or after 10 s what it is then. */
    private static int awaitCount(int expected, IntSupplier actual) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int now;
        while ((now = actual.getAsInt()) != expected && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            Thread.yield();
        }
        return now;
    }

    public static String readAll(int fd) {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long offset = 0;
        long n;
        while ((n = FileReads.pread(fd, buf, offset)) > 0) {
            offset += n;
        }
        assertEquals(0, n);
        return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    }
}
