package io.fdpass.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * 1,000 connections on one server, 100 of them active and 900 idle (each idle one served once at the end): the
 * server keeps its threads (no thread per connection), its live heap grows by at most 8 MiB, and every request is
 * answered with every descriptor. The load client and the server run as two JVMs ({@code fdpass-bench.jar load
 * --serve}), so the heap measured is the server's alone.
 */
class LoadConnectionsIT {
    private static final Path BENCH_JAR = Path.of(System.getProperty("fdpass.examples.benchJar",
            "target/fdpass-bench.jar")).toAbsolutePath();
    private static final int CONNECTIONS = 1000;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void servesAThousandConnectionsWithoutAThreadEachInBoundedHeap() throws Exception {
        assertTrue(Files.isRegularFile(BENCH_JAR), BENCH_JAR + " missing: this test runs after `package`");
        // Each JVM holds a descriptor per connection, plus its own (the JVM raises its soft limit to the hard one).
        long fdLimit = ((com.sun.management.UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getMaxFileDescriptorCount();
        assumeTrue(fdLimit >= CONNECTIONS + 200, "open file limit " + fdLimit + " is too low for "
                + CONNECTIONS + " connections (ulimit -Hn)");
        Path root = Files.createDirectory(dir.resolve("root"));
        Files.writeString(root.resolve("courses.txt"), "Course1\nCourse2\n");
        Files.writeString(root.resolve("campusinfo.txt"), "Campus1\nCampus2");
        Files.writeString(root.resolve("contacts.txt"), "Contacts\n");

        Jars.Result r = Jars.run(dir, List.of(Jars.JAVA, "-jar", BENCH_JAR.toString(), "load", "--serve",
                root.toString(), "--conns", "100", "--idle", String.valueOf(CONNECTIONS - 100), "--depth", "2",
                "--duration", "2s", "--warmup", "1s", "--read", "16", "courses.txt", "campusinfo.txt",
                "contacts.txt"));
        System.out.println(r.out());
        assertEquals(0, r.exit(), r.toString());
        List<String> lines = r.outLines();
        assertEquals("served: active=100/100 idle=900/900", lines.get(3), r.toString());
        String result = lines.get(0);
        assertEquals(0, BenchProbe.field(result, "entry_errors"), result);
        assertEquals(0, BenchProbe.field(result, "failed"), result);
        assertEquals(3 * BenchProbe.field(result, "requests"), BenchProbe.field(result, "fds"), result);

        String server = lines.get(2);
        assertTrue(server.contains(" connections=" + CONNECTIONS), server);
        double growth = Double.parseDouble(server.replaceAll(".* live_heap_growth_mib=([-\\d.]+).*", "$1"));
        assertTrue(growth <= 8.0, "live heap grew by " + growth + " MiB: " + server);
        // jvm_threads=BEFORE->AFTER: before the first connection and with all of them open. Event loops start
        // lazily (one per core at most), nothing else may appear.
        String[] threads = server.replaceAll(".* jvm_threads=(\\d+->\\d+).*", "$1").split("->");
        int added = Integer.parseInt(threads[1]) - Integer.parseInt(threads[0]);
        assertTrue(added <= Runtime.getRuntime().availableProcessors(), added + " threads more: " + server);
    }
}
