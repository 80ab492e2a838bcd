package io.fdpass.examples;

import io.fdpass.spi.FdPassTransport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The server side of a load run, as the load client sees it: where to connect, and what the server spent. A server
 * in this JVM, a child JVM running {@code fdpass-bench server}, or a process of its own that we only know by its pid.
 */
abstract class LoadServer implements AutoCloseable {

    /**
     * What the server spent so far, cumulative; {@code null} fields are unknown.
     *
     * @param loopCpuNanos    CPU time of its event loop threads
     * @param loopAllocBytes  heap its event loop threads allocated
     * @param processCpuNanos CPU time of its whole process (shared with the client when in this JVM)
     * @param heapUsed        heap in use (live only, when taken after a GC)
     * @param loopThreads     its event loop threads
     * @param jvmThreads      all threads of its JVM
     * @param connections     connections open
     */
    record Stats(Long loopCpuNanos, Long loopAllocBytes, Long processCpuNanos, Long heapUsed, Long heapCommitted,
            Integer loopThreads, Integer jvmThreads, Integer connections) {

        static Stats parse(String line) {
            return new Stats(known(BenchProbe.field(line, "cpu_ns")), known(BenchProbe.field(line, "alloc_bytes")),
                    known(BenchProbe.field(line, "process_cpu_ns")), known(BenchProbe.field(line, "heap_used")),
                    known(BenchProbe.field(line, "heap_committed")), knownInt(BenchProbe.field(line, "threads")),
                    knownInt(BenchProbe.field(line, "jvm_threads")), knownInt(BenchProbe.field(line, "connections")));
        }

        private static Long known(long v) {
            return v < 0 ? null : v;
        }

        private static Integer knownInt(long v) {
            return v < 0 ? null : (int) v;
        }
    }

    /** Where clients connect. */
    abstract Path socket();

    /** A label for the report: "in-process", "child pid N", "pid N", "unknown". */
    abstract String describe();

    /** What it spent so far; after collecting garbage if {@code gc} (where it can). */
    abstract Stats stats(boolean gc) throws IOException;

    @Override
    public void close() {
    }

    /** A server of this JVM's own ({@code --serve ROOT --in-process}). */
    static LoadServer inProcess(Path root, FdPassTransport transport, Integer loops, Integer maxConnections)
            throws IOException {
        Path dir = java.nio.file.Files.createTempDirectory("fdpass-load-");
        BenchServerCommand.BenchServer server = BenchServerCommand.BenchServer.start(dir.resolve("s.sock"), root,
                transport, loops, null, maxConnections);
        return new LoadServer() {
            @Override
            Path socket() {
                return server.socketPath();
            }

            @Override
            String describe() {
                return "in-process";
            }

            @Override
            Stats stats(boolean gc) {
                if (gc) {
                    BenchProbe.gc();
                }
                return Stats.parse(server.stats());
            }

            @Override
            public void close() {
                server.close();
                deleteQuietly(dir);
            }
        };
    }

    /** {@code fdpass-bench server} in a child JVM ({@code --serve ROOT}), on this JVM's class path and java. */
    static LoadServer child(Path root, FdPassTransport transport, Integer loops, Integer maxConnections,
            List<String> jvmArgs) throws IOException {
        Path dir = java.nio.file.Files.createTempDirectory("fdpass-load-");
        Path socket = dir.resolve("s.sock");
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchMain.class.getName(), "server",
                "--socket", socket.toString(), "--root", root.toString()));
        if (transport != null) {
            command.addAll(List.of("--transport", transport.name()));
        }
        if (loops != null) {
            command.addAll(List.of("--loops", loops.toString()));
        }
        if (maxConnections != null) {
            command.addAll(List.of("--max-connections", maxConnections.toString()));
        }
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        Writer in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        String ready;
        try {
            // The first line that says so: JVM options such as -XX:StartFlightRecording print lines of their own.
            ready = CompletableFuture.supplyAsync(() -> {
                try {
                    String line;
                    while ((line = out.readLine()) != null && !line.startsWith("ready ")) {
                        System.err.println("bench server: " + line);
                    }
                    return line;
                } catch (IOException e) {
                    return null;
                }
            }).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            ready = null;
        }
        if (ready == null || !ready.startsWith("ready ")) {
            process.destroyForcibly();
            deleteQuietly(dir);
            throw new IOException("bench server did not start: " + String.join(" ", command)
                    + (ready == null ? "" : ": " + ready));
        }
        return new LoadServer() {
            @Override
            Path socket() {
                return socket;
            }

            @Override
            String describe() {
                return "child pid " + process.pid();
            }

            @Override
            synchronized Stats stats(boolean gc) throws IOException {
                in.write(gc ? "gc\n" : "stats\n");
                in.flush();
                String line;
                while ((line = out.readLine()) != null && !line.startsWith("stats ")) {
                    if (line.startsWith("error ")) {
                        throw new IOException("bench server: " + line);
                    }
                }
                if (line == null) {
                    throw new IOException("bench server: ended");
                }
                return Stats.parse(line);
            }

            @Override
            public void close() {
                try {
                    in.write("quit\n");
                    in.close();
                } catch (IOException ignored) {
                    // It has gone already.
                }
                try {
                    if (!process.waitFor(20, TimeUnit.SECONDS)) {
                        process.destroyForcibly().waitFor();
                    }
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
                deleteQuietly(dir);
            }
        };
    }

    /** A server started elsewhere ({@code --socket PATH}), with its process's CPU time if {@code pid} is given. */
    static LoadServer external(Path socket, Long pid) {
        ProcessHandle handle = pid == null ? null : ProcessHandle.of(pid).orElse(null);
        return new LoadServer() {
            @Override
            Path socket() {
                return socket;
            }

            @Override
            String describe() {
                return handle == null ? "not measured (--server-pid to measure its CPU time)" : "pid " + pid;
            }

            @Override
            Stats stats(boolean gc) {
                Long cpu = handle == null ? null
                        : handle.info().totalCpuDuration().map(Duration::toNanos).orElse(null);
                return new Stats(null, null, cpu, null, null, null, null, null);
            }
        };
    }

    static void deleteQuietly(Path dir) {
        try (var files = java.nio.file.Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A temporary directory: the system cleans up eventually.
        }
    }

    static String mib(Long bytes) {
        return bytes == null ? "?" : String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }
}
