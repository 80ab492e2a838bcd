package io.fdpass.testsuite;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the tests of servers and clients in processes of their own share: asking a {@link ProcessServer}, its
 * limits, users other than the test's, and the directories they share.
 */
final class ProcessTests {
    /** Names of 64 files (a request's most), each written with content of its own by {@link #writeFiles}. */
    static final List<String> SIXTY_FOUR = names(64);

    private ProcessTests() {
    }

    private static List<String> names(int count) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            names.add(String.format("f%02d.txt", i));
        }
        return List.copyOf(names);
    }

    /** What {@link #writeFiles} wrote in the file {@code name}. */
    static String content(String name) {
        return "the content of " + name + "\n";
    }

    /** The 64 files, each with content of its own, so that a descriptor handed out of order shows. */
    static void writeFiles(Path root) throws IOException {
        for (String name : SIXTY_FOUR) {
            Files.writeString(root.resolve(name), content(name));
        }
    }

    static String stats(FaultProcess server) {
        try {
            return server.ask("stats", "STATS ");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static int connections(FaultProcess server) {
        try {
            return Integer.parseInt(server.ask("connections", "CONNECTIONS ").substring("CONNECTIONS ".length()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Polls {@code condition} for at most 10 s. */
    static void await(BooleanSupplier condition, Supplier<String> message) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(message.get());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** {@code key=value} out of a line of words. */
    static String field(String line, String key) {
        for (String word : line.split(" ")) {
            if (word.startsWith(key + "=")) {
                return word.substring(key.length() + 1);
            }
        }
        throw new IllegalArgumentException("no " + key + " in " + line);
    }

    /** The soft and hard RLIMIT_NOFILE of a process, from /proc/PID/limits. */
    static long[] nofile(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/limits"))) {
            if (line.startsWith("Max open files")) {
                String[] words = line.substring("Max open files".length()).trim().split("\\s+");
                return new long[] {Long.parseLong(words[0]), Long.parseLong(words[1])};
            }
        }
        throw new IOException("no 'Max open files' in /proc/" + pid + "/limits");
    }

    static void prlimit(long pid, String nofile) throws IOException, InterruptedException {
        Process prlimit = new ProcessBuilder("prlimit", "--pid", Long.toString(pid), "--nofile=" + nofile)
                .redirectErrorStream(true).start();
        String output = new String(prlimit.getInputStream().readAllBytes());
        assertEquals(0, prlimit.waitFor(), "prlimit --nofile=" + nofile + ": " + output);
    }

    static boolean isLinux() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
    }

    static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    static int uid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    /** Makes {@code dir} and everything beneath it readable (and its directories searchable) by every user. */
    static void readableByAll(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.toList()) {
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(
                        Files.isDirectory(path) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    /** Copies the class path where another user can read it ({@code ~/.m2} of root is not). */
    static List<Path> copyForAll(List<Path> classPath, Path into) throws IOException {
        List<Path> copies = new ArrayList<>();
        Map<String, Integer> taken = new HashMap<>();
        for (Path entry : classPath) {
            if (!Files.exists(entry)) {
                continue;
            }
            String name = entry.getFileName().toString();
            int n = taken.merge(name, 1, Integer::sum);
            Path copy = into.resolve(n == 1 ? name : n + "-" + name);
            if (Files.isDirectory(entry)) {
                try (Stream<Path> paths = Files.walk(entry)) {
                    for (Path path : paths.toList()) {
                        Path target = copy.resolve(entry.relativize(path).toString());
                        if (Files.isDirectory(path)) {
                            Files.createDirectories(target);
                        } else {
                            Files.copy(path, target, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            } else {
                Files.copy(entry, copy);
            }
            copies.add(copy);
        }
        readableByAll(into);
        return copies;
    }

    static void deleteRecursively(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
