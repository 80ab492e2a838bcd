package io.fdpass.examples;

import io.fdpass.FdPassException;
import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;
import io.fdpass.server.FdPassServer;
import io.fdpass.spi.FdPassTransport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code fdpass-bench load}: a closed-loop load client on {@link FdPassClient}. Each of {@code --conns} connections
 * keeps {@code --depth} requests for the same NAMEs in flight (a reply in, the next request out); after
 * {@code --warmup} it measures for {@code --duration}: requests/s, descriptors/s, latency percentiles (from the
 * request to its last descriptor: when its future completes), and what the client and the server spent (CPU time,
 * heap allocated per request, heap). The first output line has fdref-client's format, with {@code p999_us} added.
 */
final class LoadCommand {
    private Path socket;
    private Path serve;
    private FdPassTransport transport;
    private FdPassTransport serverTransport;
    private boolean inProcess;
    private Integer serverLoops;
    private final List<String> serverJvmArgs = new ArrayList<>();
    private Long serverPid;
    private int conns = 1;
    private int depth = 1;
    private Duration duration = Duration.ofSeconds(10);
    private Duration warmup = Duration.ofSeconds(3);
    private int idle;
    private Integer threads;
    private int readBytes;
    private Integer maxConnections;
    private final List<String> names = new ArrayList<>();
    private final Options options = options();

    private Options options() {
        Options cli = new Options(BenchMain.NAME + " load",
                "Load an fdpass server: --conns connections, each keeping --depth requests for NAME... in flight. "
                        + "Prints requests/s, descriptors/s, latency p50/p99/p99.9 (request to its last "
                        + "descriptor), and the CPU time and heap of the client and (--serve, --server-pid) the "
                        + "server. One of --socket and --serve is required.")
                .exitStatus("0", "every request answered, every name OK and every connection served")
                .exitStatus("1", "otherwise")
                .exitStatus("2", "invalid command line");
        cli.value("--socket", "PATH", "Load the server listening on PATH.", v -> socket = Path.of(v));
        cli.value("--serve", "ROOT", "Start a server for ROOT (a child JVM running `fdpass-bench server`, or "
                + "--in-process) and report its CPU time and heap too.", v -> serve = Path.of(v));
        cli.value("--transport", "NAME", "The clients' Netty transport: epoll or io_uring (Linux), kqueue (macOS, "
                + "BSD) (default: the fastest one available here).", v -> transport = Cli.transport(v));
        cli.value("--server-transport", "NAME", "With --serve: the server's transport (default: --transport's).",
                v -> serverTransport = Cli.transport(v));
        cli.flag("--in-process", "With --serve: run the server in this JVM instead of a child JVM.",
                () -> inProcess = true);
        cli.value("--server-loops", "N", "With --serve: the server's event loop threads (default: its own choice).",
                v -> serverLoops = Cli.integer(v));
        cli.value("--server-jvm-arg", "ARG", "With --serve (child JVM): a JVM option for it, e.g. -Xmx256m. "
                + "Repeatable.", serverJvmArgs::add).repeatable();
        cli.value("--server-pid", "PID", "With --socket: the server's process id, to report its CPU time.",
                v -> serverPid = Cli.longInteger(v));
        cli.value("--conns", "C", "Active connections (default: 1).", v -> conns = Cli.integer(v));
        cli.value("--depth", "D", "Requests in flight per connection (default: 1).", v -> depth = Cli.integer(v));
        cli.value("--duration", "DURATION", "How long to measure (default: 10s).", v -> duration = Cli.duration(v));
        cli.value("--warmup", "DURATION", "Load before measuring, for the JIT compilers (default: 3s).",
                v -> warmup = Cli.duration(v));
        cli.value("--idle", "N", "Idle connections held open besides the active ones; each must still be served one "
                + "request at the end (default: 0).", v -> idle = Cli.integer(v));
        cli.value("--threads", "T", "Client event loop threads (default: min(conns, cores)).",
                v -> threads = Cli.integer(v));
        cli.value("--read", "BYTES", "Read up to BYTES from the start of each received file (pread through the "
                + "descriptor, as a real client would), and check the size (default: 0: only close them).",
                v -> readBytes = Cli.integer(v));
        cli.value("--max-connections", "N", "With --serve: the server's connection limit (default: the server's, "
                + "or conns + idle + 8 if more).", v -> maxConnections = Cli.integer(v));
        cli.parameters("NAME", 1, 64, "The names each request asks for.", names::add);
        return cli;
    }

    int run(String[] args) {
        int status = options.parse(args);
        if (status != Options.RUN) {
            return status;
        }
        if ((socket == null) == (serve == null)) {
            return options.usageError("give one of --socket and --serve");
        }
        return options.run(this::load);
    }

    private PrintStream out = System.out;

    private int load() throws Exception {
        if (conns < 1 || depth < 1 || idle < 0 || readBytes < 0 || (threads != null && threads < 1)
                || duration.isZero()) {
            return options.usageError("--conns, --depth, --threads and --duration must be positive, --idle and "
                    + "--read not negative");
        }
        int loops = threads != null ? threads : Math.min(conns, Runtime.getRuntime().availableProcessors());
        int limit = maxConnections != null ? maxConnections
                : Math.max(io.fdpass.server.FdPassServer.DEFAULT_MAX_CONNECTIONS, conns + idle + 8);
        try (LoadServer server = socket != null ? LoadServer.external(socket, serverPid)
                : inProcess ? LoadServer.inProcess(serve, servers(), serverLoops, limit)
                : LoadServer.child(serve, servers(), serverLoops, limit, serverJvmArgs)) {
            return run(server, loops);
        }
    }

    /** The transport of the server that --serve starts; null for its default. */
    private FdPassTransport servers() {
        return serverTransport != null ? serverTransport : transport;
    }

    private int run(LoadServer server, int loops) throws Exception {
        FdPassTransport transport = this.transport != null ? this.transport.ensureAvailable()
                : FdPassTransport.preferred();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops,
                new DefaultThreadFactory(BenchProbe.CLIENT_THREADS, true), transport.newIoHandlerFactory());
        List<FdPassClient> clients = new ArrayList<>();
        List<Driver> drivers = new ArrayList<>();
        try {
            // Before any connection: what the server holds and runs with none (after a GC, the live heap).
            LoadServer.Stats serverBare = server.stats(true);
            long connectStart = System.nanoTime();
            for (int i = 0; i < conns + idle; i++) {
                clients.add(FdPassClient.builder().socket(server.socket()).transport(transport)
                        .eventLoopGroup(group).requestTimeout(Duration.ofSeconds(60))
                        .reconnectTimeout(Duration.ZERO).connect());
            }
            long connectNanos = System.nanoTime() - connectStart;
            for (int i = 0; i < conns; i++) {
                drivers.add(new Driver(clients.get(i), List.copyOf(names), readBytes));
            }

            long start = System.nanoTime();
            long windowStart = start + warmup.toNanos();
            long windowEnd = windowStart + duration.toNanos();
            for (Driver d : drivers) {
                d.window(windowStart, windowEnd);
                for (int i = 0; i < depth; i++) {
                    d.issue();
                }
            }
            sleepUntil(windowStart);
            BenchProbe.Sample clientBefore = BenchProbe.sample(BenchProbe.CLIENT_THREADS);
            LoadServer.Stats serverBefore = server.stats(false);
            sleepUntil(windowEnd);
            BenchProbe.Sample clientAfter = BenchProbe.sample(BenchProbe.CLIENT_THREADS);
            LoadServer.Stats serverAfter = server.stats(false);
            for (Driver d : drivers) {
                d.stop();
            }
            long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(70);
            for (Driver d : drivers) {
                while (d.inFlight.get() > 0 && System.nanoTime() < drainDeadline) {
                    Thread.sleep(1);
                }
            }

            // The idle connections, still open through all of it, must be served too.
            int idleServed = 0;
            List<String> idleFailures = new ArrayList<>();
            for (int i = conns; i < conns + idle; i++) {
                try (ReceivedReply reply = clients.get(i).request(names).get(60, TimeUnit.SECONDS)) {
                    if (reply.allOk()) {
                        idleServed++;
                    } else if (idleFailures.size() < 3) {
                        idleFailures.add(reply.toString());
                    }
                } catch (Exception e) {
                    if (idleFailures.size() < 3) {
                        idleFailures.add(Cli.describe(e));
                    }
                }
            }
            // With every connection still open: what the server holds now (after a GC, the live heap).
            LoadServer.Stats serverLoaded = server.stats(true);

            return report(server, loops, drivers, windowEnd - windowStart, connectNanos, clientBefore, clientAfter,
                    serverBare, serverBefore, serverAfter, serverLoaded, idleServed, idleFailures);
        } finally {
            for (FdPassClient client : clients) {
                client.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    private int report(LoadServer server, int loops, List<Driver> drivers, long windowNanos, long connectNanos,
            BenchProbe.Sample clientBefore, BenchProbe.Sample clientAfter, LoadServer.Stats serverBare,
            LoadServer.Stats serverBefore, LoadServer.Stats serverAfter, LoadServer.Stats serverLoaded,
            int idleServed, List<String> idleFailures) {
        LoadHistogram latency = new LoadHistogram();
        long requests = 0;
        long fds = 0;
        long entryErrors = 0;
        long failed = 0;
        int served = 0;
        String firstFailure = null;
        for (Driver d : drivers) {
            latency.add(d.latency);
            requests += d.requests;
            fds += d.fds;
            entryErrors += d.entryErrors;
            failed += d.failed.get();
            if (d.requests > 0) {
                served++;
            }
            if (firstFailure == null) {
                firstFailure = d.firstFailure;
            }
        }
        double secs = windowNanos / 1e9;
        out.printf(Locale.ROOT, "conns=%d depth=%d names=%d requests=%d fds=%d secs=%.2f req/s=%.0f fds/s=%.0f "
                        + "p50_us=%.1f p99_us=%.1f p999_us=%.1f entry_errors=%d failed=%d%n",
                conns, depth, names.size(), requests, fds, secs, requests / secs, fds / secs,
                latency.percentile(0.50) / 1e3, latency.percentile(0.99) / 1e3, latency.percentile(0.999) / 1e3,
                entryErrors, failed);
        long perReq = Math.max(1, requests);
        BenchProbe.Sample c = clientAfter.minus(clientBefore);
        out.printf(Locale.ROOT, "client: loops=%d cpu_ms=%.0f cpu_us_per_req=%.2f alloc_bytes_per_req=%.0f "
                        + "process_cpu_ms=%.0f%s heap_used_mib=%s heap_committed_mib=%s connect_ms=%.0f%n",
                loops, c.cpuNanos() / 1e6, c.cpuNanos() / 1e3 / perReq, (double) c.allocBytes() / perReq,
                c.processCpuNanos() / 1e6, inProcess ? " (client+server)" : "", LoadServer.mib(c.heapUsed()),
                LoadServer.mib(c.heapCommitted()), connectNanos / 1e6);
        StringBuilder s = new StringBuilder("server: ").append(server.describe());
        if (serverAfter.loopCpuNanos() != null) {
            long cpu = serverAfter.loopCpuNanos() - serverBefore.loopCpuNanos();
            long alloc = serverAfter.loopAllocBytes() - serverBefore.loopAllocBytes();
            s.append(String.format(Locale.ROOT, " loops=%d loop_cpu_ms=%.0f loop_cpu_us_per_req=%.2f"
                    + " loop_alloc_bytes_per_req=%.0f", serverAfter.loopThreads(), cpu / 1e6, cpu / 1e3 / perReq,
                    (double) alloc / perReq));
        }
        if (serverAfter.processCpuNanos() != null && !inProcess) {
            long cpu = serverAfter.processCpuNanos() - serverBefore.processCpuNanos();
            s.append(String.format(Locale.ROOT, " process_cpu_ms=%.0f process_cpu_us_per_req=%.2f", cpu / 1e6,
                    cpu / 1e3 / perReq));
        }
        if (serverAfter.heapUsed() != null) {
            s.append(" heap_used_mib=").append(LoadServer.mib(serverAfter.heapUsed()))
                    .append(" heap_committed_mib=").append(LoadServer.mib(serverAfter.heapCommitted()));
        }
        if (serverBare.heapUsed() != null && serverLoaded.heapUsed() != null) {
            // Live heap (after GC) with every connection open, minus the same before the first connected.
            s.append(" live_heap_mib=").append(LoadServer.mib(serverLoaded.heapUsed()))
                    .append(" live_heap_growth_mib=")
                    .append(LoadServer.mib(serverLoaded.heapUsed() - serverBare.heapUsed()));
        }
        if (serverBare.jvmThreads() != null) {
            s.append(" jvm_threads=").append(serverBare.jvmThreads()).append("->").append(serverLoaded.jvmThreads())
                    .append(" connections=").append(serverLoaded.connections());
        }
        out.println(s);
        boolean ok = failed == 0 && entryErrors == 0 && served == drivers.size() && idleServed == idle;
        out.printf(Locale.ROOT, "served: active=%d/%d idle=%d/%d%s%n", served, drivers.size(), idleServed, idle,
                ok ? "" : " FAILED" + (firstFailure != null ? ": " + firstFailure : "")
                        + (idleFailures.isEmpty() ? "" : " idle: " + idleFailures));
        return ok ? 0 : 1;
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    /**
     * One active connection's closed loop. Its replies complete on the connection's event loop, one thread: so
     * only that thread writes the counters and the histogram, and the main thread reads them once
     * {@link #inFlight} is back to 0 (a volatile read after the loop's last write).
     */
    static final class Driver {
        private final FdPassClient client;
        private final List<String> names;
        private final int readBytes;
        private final ByteBuffer buffer;
        private final long[] sizes;
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicLong failed = new AtomicLong();
        final LoadHistogram latency = new LoadHistogram();
        private volatile boolean stopped;
        private volatile long windowStart;
        private volatile long windowEnd;
        long requests;
        long fds;
        long entryErrors;
        volatile String firstFailure;

        Driver(FdPassClient client, List<String> names, int readBytes) {
            this.client = client;
            this.names = names;
            this.readBytes = readBytes;
            this.buffer = readBytes > 0 ? ByteBuffer.allocateDirect(readBytes) : null;
            this.sizes = new long[names.size()];
            java.util.Arrays.fill(sizes, -1);
        }

        void window(long start, long end) {
            windowStart = start;
            windowEnd = end;
        }

        void stop() {
            stopped = true;
        }

        void issue() {
            inFlight.incrementAndGet();
            long sent = System.nanoTime();
            client.request(names).whenComplete((reply, e) -> done(sent, reply, e));
        }

        private void done(long sent, ReceivedReply reply, Throwable e) {
            long now = System.nanoTime();
            boolean measured = now - windowStart >= 0 && now - windowEnd < 0;
            if (e != null) {
                failed.incrementAndGet();
                if (firstFailure == null) {
                    firstFailure = Cli.describe(e);
                }
            } else {
                int ok = 0;
                int errors = 0;
                try (reply) {
                    for (int i = 0; i < names.size(); i++) {
                        ReceivedReply.Entry entry = reply.entry(i);
                        if (!entry.isOk()) {
                            errors++;
                            if (firstFailure == null) {
                                firstFailure = entry.toString();
                            }
                            continue;
                        }
                        ok++;
                        if (buffer != null && !check(i, entry)) {
                            errors++;
                        }
                    }
                }
                if (measured) {
                    requests++;
                    fds += ok;
                    entryErrors += errors;
                    latency.record(now - sent);
                }
            }
            if (!stopped && !(e instanceof FdPassException && !client.isOpen())) {
                issue();
            }
            inFlight.decrementAndGet();
        }

        /** Reads the first bytes through the descriptor; the same name must always have the same size. */
        private boolean check(int i, ReceivedReply.Entry entry) {
            try {
                buffer.clear();
                int n = entry.file().read(buffer, 0);
                long expected = Math.min(entry.size(), readBytes);
                if ((n < 0 ? 0 : n) != expected) {
                    throw new IOException("read " + Math.max(n, 0) + " bytes at 0, expected " + expected);
                }
                if (sizes[i] < 0) {
                    sizes[i] = entry.size();
                } else if (sizes[i] != entry.size()) {
                    throw new IOException("size " + entry.size() + ", was " + sizes[i]);
                }
                return true;
            } catch (IOException ex) {
                if (firstFailure == null) {
                    firstFailure = entry.name() + ": " + ex.getMessage();
                }
                return false;
            }
        }
    }

    /** For tests: where the report goes. */
    LoadCommand output(PrintStream out) {
        this.out = out;
        return this;
    }
}
