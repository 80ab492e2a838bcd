package io.fdpass.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The load client and the read comparison, each run briefly against a server in this JVM. */
class LoadCommandTest {
    @TempDir
    Path dir;

    @Test
    void loadsAServerInThisJvmAndReportsBothSides() throws Exception {
        Files.writeString(dir.resolve("a.txt"), "Course1\nCourse2\n");
        Files.writeString(dir.resolve("b.txt"), "Contacts\n");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit = new LoadCommand().output(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run(new String[] {
                "--serve", dir.toString(), "--in-process", "--conns", "2", "--depth", "4", "--idle", "3",
                "--duration", "1s", "--warmup", "300ms", "--read", "4", "a.txt", "b.txt"});
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(0, exit, String.join("\n", lines));
        assertTrue(lines.get(0).matches("conns=2 depth=4 names=2 requests=[1-9]\\d* fds=[1-9]\\d* secs=1\\.\\d\\d "
                + "req/s=\\d+ fds/s=\\d+ p50_us=[\\d.]+ p99_us=[\\d.]+ p999_us=[\\d.]+ entry_errors=0 failed=0"),
                lines.get(0));
        long requests = BenchProbe.field(lines.get(0), "requests");
        assertEquals(2 * requests, BenchProbe.field(lines.get(0), "fds"));
        assertTrue(lines.get(1).startsWith("client: loops=2 cpu_ms="), lines.get(1));
        assertTrue(lines.get(2).startsWith("server: in-process loops="), lines.get(2));
        assertTrue(BenchProbe.field(lines.get(2), "loop_alloc_bytes_per_req") > 0, lines.get(2));
        assertEquals("served: active=2/2 idle=3/3", lines.get(3));
    }

    @Test
    void failsWhenANameIsNotServed() throws Exception {
        Files.writeString(dir.resolve("a.txt"), "x");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit = new LoadCommand().output(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run(new String[] {
                "--serve", dir.toString(), "--in-process", "--duration", "200ms", "--warmup", "0",
                "a.txt", "missing.txt"});
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(1, exit, out);
        assertTrue(out.contains("served: active=1/1 idle=0/0 FAILED: missing.txt NOT_FOUND"), out);
    }

    @Test
    void readsAFileThroughAReceivedDescriptorAsFastAsDirectly() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit = new BenchReadCommand().output(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run(
                new String[] {"--dir", dir.toString(), "--size", "4m", "--buffer", "64k", "--reps", "2",
                        "--warmup-reps", "1"});
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, out);
        for (String variant : List.of("FileChannel.read", "ReceivedFile.read", "FileChannel.map", "ReceivedFile.map")) {
            assertTrue(out.lines().anyMatch(l -> l.startsWith(variant + " ")), variant + " missing:\n" + out);
        }
        assertTrue(out.contains("ratio ReceivedFile.read/FileChannel.read="), out);
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count(), "the file it made is gone");
        }
    }
}
