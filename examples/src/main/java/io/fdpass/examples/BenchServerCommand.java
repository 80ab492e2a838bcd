package io.fdpass.examples;

import io.fdpass.AccessPolicy;
import io.fdpass.server.FdPassServer;
import io.fdpass.server.FdPassServerStats;
import io.fdpass.spi.FdPassTransport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code fdpass-bench server}: an fdpass server (everyone who can connect is served, nothing is logged per request)
 * that reports what it spends when asked on its standard input. The load client starts it as a child process
 * ({@code load --serve}); by hand it is a quiet server for other load clients.
 *
 * <p>Prints {@code ready socket=PATH pid=N} once it listens. Then each line on stdin is a command, answered with one
 * line on stdout: {@code stats} (CPU time and heap allocation of the event loop threads, the process's CPU time, the
 * heap, the threads, the server's counters; see {@link BenchProbe.Sample}), {@code gc} (the same after collecting
 * garbage: {@code heap_used} is then the live heap), {@code quit}. End of input or SIGTERM shut it down gracefully.
 */
final class BenchServerCommand {
    private Path socket;
    private Path root;
    private FdPassTransport transport;
    private Integer loops;
    private Integer maxUnanswered;
    private Integer maxConnections;
    private final Options options = options();

    private Options options() {
        Options cli = new Options(BenchMain.NAME + " server",
                "A quiet fdpass server that reports its CPU time and heap on request (commands on stdin: stats, gc, "
                        + "quit), for load tests. Serves everyone who can connect, one user as many connections as "
                        + "all (a load test comes from one user).");
        cli.value("--socket", "PATH", "The socket file to create.", v -> socket = Path.of(v)).required();
        cli.value("--root", "DIR", "Serve the regular files beneath DIR.", v -> root = Path.of(v)).required();
        cli.value("--transport", "NAME", Cli.TRANSPORT_HELP, v -> transport = Cli.transport(v));
        cli.value("--loops", "N", "Event loop threads (default: the server's own choice, max(1, cores / 2)).",
                v -> loops = Cli.integer(v));
        cli.value("--max-unanswered", "N", "HELLO maxUnanswered (default: 32).", v -> maxUnanswered = Cli.integer(v));
        cli.value("--max-connections", "N", "Connections served at once (default: "
                + FdPassServer.DEFAULT_MAX_CONNECTIONS + ").", v -> maxConnections = Cli.integer(v));
        return cli;
    }

    int run(String[] args) {
        int status = options.parse(args);
        return status != Options.RUN ? status : options.run(this::serve);
    }

    private int serve() throws IOException {
        BenchServer server = BenchServer.start(socket, root, transport, loops, maxUnanswered, maxConnections);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "bench-server-shutdown"));
        System.out.println("ready socket=" + server.socketPath() + " pid=" + ProcessHandle.current().pid());
        System.out.flush();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                switch (line.trim()) {
                    case "stats" -> System.out.println("stats " + server.stats());
                    case "gc" -> {
                        BenchProbe.gc();
                        System.out.println("stats " + server.stats());
                    }
                    case "quit" -> {
                        server.close();
                        return 0;
                    }
                    case "" -> {
                    }
                    default -> System.out.println("error unknown command: " + line.trim());
                }
                System.out.flush();
            }
        }
        server.close();
        return 0;
    }

    /** A server started for a load test, in this JVM, and what it spent. */
    static final class BenchServer implements AutoCloseable {
        private final FdPassServer server;
        private final EventLoopGroup ownGroup;

        private BenchServer(FdPassServer server, EventLoopGroup ownGroup) {
            this.server = server;
            this.ownGroup = ownGroup;
        }

        /** @param transport null for the default */
        static BenchServer start(Path socket, Path root, FdPassTransport transport, Integer loops,
                Integer maxUnanswered, Integer maxConnections) throws IOException {
            FdPassServer.Builder builder = FdPassServer.builder().socket(socket).root(root)
                    .accessPolicy(AccessPolicy.ALLOW_ALL);
            FdPassTransport chosen = transport != null ? transport.ensureAvailable() : FdPassTransport.preferred();
            builder.transport(chosen);
            EventLoopGroup group = null;
            if (loops != null) {
                // The same thread names as the server's own group, so that BenchProbe finds them.
                group = new MultiThreadIoEventLoopGroup(loops, new DefaultThreadFactory(BenchProbe.SERVER_THREADS,
                        true), chosen.newIoHandlerFactory());
                builder.eventLoopGroup(group);
            }
            if (maxUnanswered != null) {
                builder.maxUnanswered(maxUnanswered);
            }
            int connections = maxConnections != null ? maxConnections : FdPassServer.DEFAULT_MAX_CONNECTIONS;
            builder.maxConnections(connections).maxConnectionsPerUid(connections);
            try {
                return new BenchServer(builder.start(), group);
            } catch (IOException | RuntimeException e) {
                if (group != null) {
                    group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
                }
                throw e;
            }
        }

        Path socketPath() {
            return server.socketPath();
        }

        FdPassServer server() {
            return server;
        }

        /** A probe sample of the event loops plus the server's counters, as one line of key=value words. */
        String stats() {
            BenchProbe.Sample sample = BenchProbe.sample(BenchProbe.SERVER_THREADS);
            FdPassServerStats.Snapshot s = server.stats().snapshot();
            return sample.format() + String.format(Locale.ROOT,
                    " jvm_threads=%d connections=%d accepted=%d requests=%d descriptors=%d pauses=%d",
                    BenchProbe.threadCount(), server.connectionCount(), s.connectionsAccepted(), s.requestsAnswered(),
                    s.descriptorsSent(), s.backpressurePauses());
        }

        @Override
        public void close() {
            server.close();
            if (ownGroup != null) {
                ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
            }
        }
    }
}
