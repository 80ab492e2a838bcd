package io.fdpass.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Runs the example jars as separate JVMs, on the JDK running the tests, with their output in files. */
final class Jars {
    static final Path SERVER_JAR = jar("fdpass.examples.serverJar", "fdpass-example-server.jar");
    static final Path CLIENT_JAR = jar("fdpass.examples.clientJar", "fdpass-example-client.jar");
    /** The running JDK's java (25), not whatever java is on PATH. */
    static final String JAVA = ProcessHandle.current().info().command().orElseThrow();
    static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);

    private Jars() {
    }

    private static Path jar(String property, String name) {
        return Path.of(System.getProperty(property, "target/" + name)).toAbsolutePath();
    }

    static void assertBuilt() {
        for (Path jar : List.of(SERVER_JAR, CLIENT_JAR)) {
            assertTrue(Files.isRegularFile(jar), jar + " missing: these tests run after `package` (./mvnw verify)");
        }
    }

    /** java -jar JAR ARGS..., optionally behind a prefix such as setpriv. */
    static List<String> command(List<String> prefix, Path jar, String... args) {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(JAVA, "-jar", jar.toString()));
        command.addAll(Arrays.asList(args));
        return command;
    }

    /** A finished process's exit status and output. */
    record Result(int exit, String out, String err, long pid) {
        List<String> outLines() {
            return out.lines().toList();
        }

        List<String> errLines() {
            return err.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err + "---";
        }
    }

    /** Runs a command to its end (bounded), in {@code dir}, with its output in files there. */
    static Result run(Path dir, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "out-", ".txt");
        Path err = Files.createTempFile(dir, "err-", ".txt");
        Process p = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(RUN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            fail(command + " did not end within " + RUN_TIMEOUT + "\n" + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8), p.pid());
    }

    static Result client(Path dir, String... args) throws IOException, InterruptedException {
        return run(dir, command(List.of(), CLIENT_JAR, args));
    }

    /** Waits, polling, until {@code condition} holds; fails after {@code timeout} with {@code what}. */
    static void await(Duration timeout, BooleanSupplier condition, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeout + ": " + what.get());
            }
            Thread.sleep(20);
        }
    }

    static boolean isSocket(Path path) {
        try {
            return Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).isOther();
        } catch (IOException e) {
            return false;
        }
    }

    /** A running example server; {@link #close()} kills it if a test left it running. */
    static final class Server implements AutoCloseable {
        final Process process;
        final Path socket;
        final Path log;
        final Path out;

        private Server(Process process, Path socket, Path log, Path out) {
            this.process = process;
            this.socket = socket;
            this.log = log;
            this.out = out;
        }

        /** Starts the server jar and waits (bounded) until its socket file appears. */
        static Server start(Path dir, Path socket, List<String> prefix, String... args)
                throws IOException, InterruptedException {
            List<String> all = new ArrayList<>(List.of("--socket", socket.toString()));
            all.addAll(Arrays.asList(args));
            return launch(dir, socket, command(prefix, SERVER_JAR, all.toArray(String[]::new)));
        }

        /**
         * Starts the server jar under systemd-socket-activate, which binds {@code socket} and hands the listening
         * descriptor over (LISTEN_FDS) as it execs the server, so the server process is this process.
         */
        static Server startActivated(Path dir, Path socket, String... args) throws IOException, InterruptedException {
            return launch(dir, socket, command(List.of("systemd-socket-activate", "--listen=" + socket),
                    SERVER_JAR, args));
        }

        private static Server launch(Path dir, Path socket, List<String> command)
                throws IOException, InterruptedException {
            Path log = Files.createTempFile(dir, "server-", ".log");
            Path out = Files.createTempFile(dir, "server-", ".out");
            Process p = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(out.toFile()).redirectError(log.toFile()).start();
            Server server = new Server(p, socket, log, out);
            try {
                await(Duration.ofSeconds(30), () -> isSocket(socket) || !p.isAlive(),
                        () -> "socket " + socket + " did not appear\n" + server.log());
                assertTrue(p.isAlive(), () -> "server exited with " + p.exitValue() + "\n" + server.log());
            } catch (Throwable e) {
                server.close();
                throw e;
            }
            return server;
        }

        String log() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        String stdout() throws IOException {
            return Files.readString(out);
        }

        /** Sends SIGTERM (Process.destroy) and returns the exit status (bounded wait). */
        int terminate() throws InterruptedException {
            process.destroy();
            return awaitExit();
        }

        int awaitExit() throws InterruptedException {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                fail("server did not exit within 30 s after the signal\n" + log());
            }
            return process.exitValue();
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                try {
                    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
