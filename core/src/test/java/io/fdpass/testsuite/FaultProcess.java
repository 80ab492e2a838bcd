package io.fdpass.testsuite;

import io.fdpass.internal.ClassPath;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A child JVM running one of the suite's {@code Process*} mains: for faults that only a real process shows (it is
 * killed with SIGKILL, it runs as another user or under a lower RLIMIT_NOFILE). Its stdout is read line by line,
 * for the ready line and the answers to commands written to its stdin; its stderr goes to a file, shown when
 * something fails. The child exits on SIGTERM and when its stdin closes, so none outlives the test JVM for long.
 */
final class FaultProcess implements AutoCloseable {
    private static final String EOF = new String("EOF"); // identity-compared: no line can be it
    /** Descriptors of this process per child while it runs: its stdin and stdout (stderr goes to a file). */
    static final int PIPES = 2;

    private final String name;
    private final Process process;
    private final Path stderr;
    private final OutputStream stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;

    private FaultProcess(String name, Process process, Path stderr) {
        this.name = name;
        this.process = process;
        this.stderr = stderr;
        this.stdin = process.getOutputStream();
        this.reader = Thread.ofPlatform().daemon().name(name + "-stdout").start(() -> {
            // Not closed here: the pipe closes in close(), so that descriptor counts do not move meanwhile.
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // Closed: the process is gone.
            } finally {
                lines.add(EOF);
            }
        });
    }

    /**
     * Starts {@code java [jvmOptions] -cp classPath mainClass args}, behind {@code wrapper} (such as {@code setpriv
     * ... prlimit ...}, which exec the JVM, so the process is the JVM itself), in {@code workDir}.
     */
    static FaultProcess start(String name, List<String> wrapper, List<Path> classPath, List<String> jvmOptions,
            Class<?> mainClass, List<String> args, Path workDir) throws IOException {
        List<String> command = new ArrayList<>(wrapper);
        command.add(javaCommand());
        command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xmx128m",
                "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(String.join(java.io.File.pathSeparator, classPath.stream().map(Path::toString).toList()));
        command.add(mainClass.getName());
        command.addAll(args);
        Path stderr = workDir.resolve(name + ".stderr");
        Process process = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectError(stderr.toFile()).start();
        return new FaultProcess(name, process, stderr);
    }

    /** The JVM running this test. */
    static String javaCommand() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * This JVM's class path and module path together, manifest-only jars (which surefire may use) expanded: the
     * children run everything on the class path, where fdpass finds its transports through META-INF/services.
     */
    static List<Path> classPath() {
        return ClassPath.entries();
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for a line of stdout that starts with {@code prefix}, skipping others; fails if the child ends first. */
    String awaitLine(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (;;) {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
            if (line == null) {
                fail(name + ": no line starting with '" + prefix + "' within " + timeout + describe());
            }
            if (line == EOF) {
                lines.add(EOF);
                fail(name + " ended before printing a line starting with '" + prefix + "'" + describe());
            }
            if (line.startsWith(prefix)) {
                return line;
            }
        }
    }

    /** Writes a command line to the child's stdin and waits for its answer, the line starting with {@code prefix}. */
    String ask(String command, String prefix) throws InterruptedException {
        try {
            stdin.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            fail(name + ": cannot write '" + command + "'" + describe(), e);
        }
        return awaitLine(prefix, Duration.ofSeconds(10));
    }

    /**
     * {@code kill -9}; waits until it is gone and closes the {@link #PIPES} pipes to it, so that this process's
     * descriptor count does not move any more (the JDK would close them too, but at a moment of its own).
     */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            fail(name + " survived SIGKILL for 10 s");
        }
        closePipes();
    }

    String stderr() {
        try {
            return Files.exists(stderr) ? Files.readString(stderr, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + stderr + ": " + e + ")";
        }
    }

    private String describe() {
        String err = stderr();
        if (err.length() > 4000) {
            err = "..." + err.substring(err.length() - 4000);
        }
        return (process.isAlive() ? "" : " (exit " + process.exitValue() + ")") + "; stderr:\n" + err;
    }

    /** SIGTERM, then SIGKILL if it does not end within 5 s; closes the pipes. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        closePipes();
    }

    private void closePipes() throws InterruptedException {
        try {
            stdin.close();
        } catch (IOException ignored) {
            // The child is gone: nothing to flush to.
        }
        reader.join(5_000); // it reads to the end of what the child wrote
        try {
            process.getInputStream().close();
        } catch (IOException ignored) {
            // Closed already.
        }
    }
}
