package io.fdpass.examples;

import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;
import io.fdpass.server.FdPassServer;
import io.fdpass.server.FdPassServerStats;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * The soak: a server and many connections of mixed traffic in one process for a long time, printing what the server
 * did and what it holds, so that a leak shows as a count or a heap that grows. Not a test: a command, run by hand.
 */
public final class SoakMain {
    /** Frames a hostile client sends: count 0, a length over any limit, an unknown type, a cut-off frame. */
    private static final List<String> BAD_FRAMES = List.of("00000007 01 00000009 0000", "7fffffff 01",
            "00000002 7f 00", "00000021 01 00000007 0002 000b 636f75");

    private Duration duration = Duration.ofMinutes(10);
    private int connections = 16;
    private Duration interval = Duration.ofSeconds(10);

    private final LongAdder clientFailures = new LongAdder();
    private final LongAdder abandoned = new LongAdder();
    private volatile boolean running = true;

    public static void main(String[] args) {
        Options cli = new Options("fdpass-soak", "Runs mixed good, bad and abandoned requests against an in-process "
                + "fdpass server and prints requests served, errors, the process's descriptor count and heap at "
                + "intervals.");
        SoakMain soak = new SoakMain();
        cli.value("--duration", "DURATION", "How long (default: 10m).", v -> soak.duration = Cli.duration(v));
        cli.value("--connections", "N", "Concurrent connections (default: 16).",
                v -> soak.connections = Cli.integer(v));
        cli.value("--interval", "DURATION", "How often to print (default: 10s).",
                v -> soak.interval = Cli.duration(v));
        int status = cli.parse(args);
        System.exit(status != Options.RUN ? status : cli.run(soak::run));
    }

    private int run() throws Exception {
        Path dir = Files.createTempDirectory("fdpass-soak");
        Path root = Files.createDirectory(dir.resolve("root"));
        Files.writeString(root.resolve("courses.txt"), "Course1\nCourse2\n");
        Files.writeString(root.resolve("campusinfo.txt"), "Campus1\nCampus2");
        Files.writeString(root.resolve("contacts.txt"), "Contacts\n");
        Path socket = dir.resolve("soak.sock");
        try (FdPassServer server = FdPassServer.builder().socket(socket).root(root)
                .linger(Duration.ofSeconds(1)).start()) {
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                int kind = i;
                workers.add(Thread.ofVirtual().start(() -> work(socket, kind)));
            }
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            System.out.println("seconds requests descriptors errors clientFailures abandoned openFds heapMiB");
            while (System.nanoTime() < end) {
                Thread.sleep(Math.min(interval.toMillis(), Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                report(server.stats().snapshot(), (System.nanoTime() - start) / 1_000_000_000);
            }
            running = false;
            for (Thread worker : workers) {
                worker.join();
            }
            report(server.stats().snapshot(), (System.nanoTime() - start) / 1_000_000_000);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }

    private void report(FdPassServerStats.Snapshot stats, long seconds) throws IOException {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
        long errors = stats.errors().values().stream().mapToLong(Long::longValue).sum();
        long fds;
        try (Stream<Path> open = Files.list(Path.of("/proc/self/fd"))) {
            fds = open.count();
        }
        System.out.printf("%7d %8d %11d %6d %14d %9d %7d %7d%n", seconds, stats.requestsAnswered(),
                stats.descriptorsSent(), errors, clientFailures.sum(), abandoned.sum(), fds, heap);
    }

    /** One connection's life, again and again: a few requests of each kind, then a new connection. */
    private void work(Path socket, int kind) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (running) {
            try {
                if (kind % 4 == 3) {
                    hostile(socket, BAD_FRAMES.get(random.nextInt(BAD_FRAMES.size())));
                    continue;
                }
                try (FdPassClient client = FdPassClient.builder().socket(socket)
                        .requestTimeout(Duration.ofMillis(kind % 4 == 2 ? 1 : 5_000)).connect()) {
                    for (int i = 0; i < 200 && running; i++) {
                        CompletableFuture<ReceivedReply> future = client.request(names(random));
                        if (kind % 4 == 1 && random.nextInt(4) == 0) {
                            future.cancel(false); // abandoned: its descriptors must be closed on arrival
                            abandoned.increment();
                            continue;
                        }
                        try (ReceivedReply reply = future.join()) {
                            for (ReceivedReply.Entry entry : reply.entries()) {
                                if (entry.isOk()) {
                                    entry.file().read(ByteBuffer.allocate(16), 0);
                                }
                            }
                        } catch (RuntimeException e) {
                            clientFailures.increment(); // the 1 ms timeouts, mostly
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                clientFailures.increment();
            }
        }
    }

    private static List<String> names(ThreadLocalRandom random) {
        String[] pool = {"courses.txt", "campusinfo.txt", "contacts.txt", "missing.txt", "../x", "/etc/passwd"};
        List<String> names = new ArrayList<>();
        for (int i = random.nextInt(1, 8); i > 0; i--) {
            names.add(pool[random.nextInt(pool.length)]);
        }
        return names;
    }

    /** Sends a faulty frame on a raw socket and reads until the server closes (the closing rule). */
    private static void hostile(Path socket, String frame) throws IOException {
        try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            raw.connect(UnixDomainSocketAddress.of(socket));
            raw.write(ByteBuffer.wrap(HexFormat.of().parseHex(frame.replace(" ", ""))));
            if (frame.startsWith("00000021")) {
                raw.shutdownOutput(); // end of stream inside the frame
            }
            ByteBuffer sink = ByteBuffer.allocate(4096);
            while (raw.read(sink.clear()) >= 0) {
                // HELLO, then ERROR: read to the end, as the closing rule expects.
                sink.flip();
                StandardCharsets.US_ASCII.decode(sink);
            }
        }
    }
}
