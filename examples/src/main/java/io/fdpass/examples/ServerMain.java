package io.fdpass.examples;

import io.fdpass.AccessPolicy;
import io.fdpass.Peer;
import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassProtocol;
import io.fdpass.confinement.Confinement;
import io.fdpass.server.FdPassServer;
import io.fdpass.spi.FdPassTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The example server: serves the regular files beneath {@code --root} on the socket {@code --socket} until SIGINT or
 * SIGTERM, then shuts down gracefully (protocol v1, "Closing"), removes the socket and exits 0.
 */
public final class ServerMain {
    static final String NAME = "fdpass-example-server";
    /** Made as the server starts: --help and --version need no logging. */
    private Logger log;

    private Path socket;
    private FdPassTransport transport;
    private Duration statsInterval;
    private Path root;
    private boolean allowMounts;
    private Cli.Mode mode = Cli.Mode.parse("0600");
    private final List<Integer> allowUids = new ArrayList<>();
    private final List<Integer> allowGids = new ArrayList<>();
    private Integer maxNames;
    private Integer maxFrameLength;
    private Integer maxUnanswered;
    private Duration linger;
    private boolean noConfine;
    private Integer maxConnections;
    private Integer maxConnectionsPerUid;
    private Duration frameTimeout;
    private Duration idleTimeout;
    private Duration stallTimeout;
    private Integer maxUnreadBytes;
    final Options options = options();

    private Options options() {
        Options cli = new Options(NAME,
                "Hands clients open, read-only descriptors of the regular files beneath DIR over the Unix domain "
                        + "socket PATH (fdpass protocol v1), so that they can read files they could not open "
                        + "themselves.",
                "Serves until SIGINT or SIGTERM, then shuts down gracefully, removes the socket and exits 0. "
                        + "Logs to stderr: one line when ready, one per connection (the client's uid, gid and pid), "
                        + "and what it refuses (connections, names): the first few of each kind every 10 s, the rest "
                        + "counted by uid in one line each.",
                "Where the kernel has Landlock (Linux 5.13+), the threads that serve confine themselves to "
                        + "reading beneath DIR (and the JVM's own files), unless --no-confine; the log says which.")
                .exitStatus("0", "shut down on SIGINT or SIGTERM")
                .exitStatus("1", "could not start (socket in use, no root, ...)")
                .exitStatus("2", "invalid command line");
        cli.value("--socket", "PATH", "The socket file to create. A stale one is replaced; a live server's is not. "
                + "Not needed under systemd socket activation (LISTEN_FDS), which hands over a listening socket "
                + "instead.", v -> socket = Path.of(v));
        cli.value("--root", "DIR", "Serve the regular files beneath this directory (never outside it).",
                v -> root = Path.of(v)).required();
        cli.value("--transport", "NAME", Cli.TRANSPORT_HELP, v -> transport = Cli.transport(v));
        cli.value("--mode", "MODE", "The socket file's mode, octal or rw-rw----: who may connect (default: 0600).",
                v -> mode = Cli.Mode.parse(v));
        cli.value("--allow-uid", "UID", "Serve only these users (effective uid), and the --allow-gid groups. "
                + "Repeatable, or comma-separated.", v -> allowUids.add(Cli.id(v))).repeatable().split(",");
        cli.value("--allow-gid", "GID", "Serve only these groups (the client's effective gid), and the --allow-uid "
                + "users. Without either, everyone who can connect is served.", v -> allowGids.add(Cli.id(v)))
                .repeatable().split(",");
        cli.flag("--allow-mounts", "Serve the files of other mounts beneath --root too (default: PERMISSION_DENIED), "
                + "but never those of a pseudo filesystem (proc, sysfs, cgroup...).", () -> allowMounts = true);
        cli.flag("--no-confine", "Do not confine the serving threads with Landlock (by default they may read "
                + "beneath DIR and the JVM's own files, nothing else, where the kernel has Landlock).",
                () -> noConfine = true);
        cli.value("--max-names", "N", "Names per request, 1.." + FdPassProtocol.MAX_NAMES_LIMIT + " (default: "
                + FdPassServer.DEFAULT_MAX_NAMES + ").", v -> maxNames = Cli.integer(v));
        cli.value("--max-frame-length", "BYTES", "Largest request frame, " + FdPassProtocol.MIN_FRAME_LENGTH_LIMIT
                + ".." + FdPassProtocol.MAX_FRAME_LENGTH_LIMIT + " (default: " + FdPassServer.DEFAULT_MAX_FRAME_LENGTH
                + ").", v -> maxFrameLength = Cli.integer(v));
        cli.value("--max-unanswered", "N", "Requests a client may have unanswered before the server stops reading "
                + "it, 1.." + FdPassProtocol.MAX_UNANSWERED_LIMIT + " (default: "
                + FdPassServer.DEFAULT_MAX_UNANSWERED + ").", v -> maxUnanswered = Cli.integer(v));
        cli.value("--max-unread-bytes", "BYTES", "No reply is written while a client has more than this unread, in "
                + "kernel bytes (default and most: the socket's send buffer less room for a largest reply).",
                v -> maxUnreadBytes = Cli.integer(v));
        cli.value("--max-connections", "N", "Connections served at once; one more gets HELLO, then ERROR "
                + "TOO_MANY_CONNECTIONS (default: " + FdPassServer.DEFAULT_MAX_CONNECTIONS + ").",
                v -> maxConnections = Cli.integer(v));
        cli.value("--max-connections-per-uid", "N", "Connections served at once for one user (default: an eighth "
                + "of --max-connections).", v -> maxConnectionsPerUid = Cli.integer(v));
        cli.value("--frame-timeout", "DURATION", "How long a request frame begun may take to arrive whole, then "
                + "ERROR TIMED_OUT; 0 for ever (default: " + FdPassServer.DEFAULT_FRAME_TIMEOUT_MILLIS / 1000 + "s).",
                v -> frameTimeout = Cli.duration(v));
        cli.value("--idle-timeout", "DURATION", "How long a connection with nothing unanswered may stay idle, then "
                + "ERROR TIMED_OUT; 0 for ever (default: " + FdPassServer.DEFAULT_IDLE_TIMEOUT_MILLIS / 60_000 + "m).",
                v -> idleTimeout = Cli.duration(v));
        cli.value("--stall-timeout", "DURATION", "How long a connection held back because its client does not read "
                + "(or its uid's share of descriptors in flight is used up) may wait for it to read anything, then "
                + "ERROR TIMED_OUT; 0 for ever (default: " + FdPassServer.DEFAULT_STALL_TIMEOUT_MILLIS / 1000 + "s).",
                v -> stallTimeout = Cli.duration(v));
        cli.value("--linger", "DURATION", "How long a connection may linger for its client after an ERROR or the "
                + "shutdown, e.g. 500ms, 10s (default: " + FdPassServer.DEFAULT_LINGER_MILLIS / 1000 + "s).",
                v -> linger = Cli.duration(v));
        cli.value("--stats-interval", "DURATION", "Log the server's counters this often, e.g. 10s (default: never).",
                v -> statsInterval = Cli.duration(v));
        return cli;
    }

    public static void main(String[] args) {
        Cli.nettyEventsOnlyWhenRecording();
        System.exit(new ServerMain().run(args));
    }

    int run(String[] args) {
        int status = options.parse(args);
        return status != Options.RUN ? status : options.run(this::serve);
    }

    private int serve() {
        log = LoggerFactory.getLogger(NAME);
        FdPassServer.Builder builder = FdPassServer.builder()
                .root(root)
                .allowMounts(allowMounts)
                .socketMode(mode.permissions())
                .logConnections(true);
        FdPassTransport chosen;
        try {
            chosen = transport != null ? transport.ensureAvailable() : FdPassTransport.preferred();
        } catch (IllegalStateException e) {
            System.err.println(NAME + ": " + Cli.describe(e));
            return 1;
        }
        builder.transport(chosen);
        if (noConfine) {
            builder.confine(Confinement.Mode.OFF); // the library logs which, either way
        }
        if (!allowUids.isEmpty() || !allowGids.isEmpty()) {
            // Without lists everyone may have everything: the default policy, which needs no name as a String.
            builder.accessPolicy(new IdPolicy(Set.copyOf(allowUids), Set.copyOf(allowGids)));
        }
        try {
            set("--max-names", maxNames, builder::maxNames);
            set("--max-frame-length", maxFrameLength, builder::maxFrameLength);
            set("--max-unanswered", maxUnanswered, builder::maxUnanswered);
            set("--linger", linger, builder::linger);
            set("--max-unread-bytes", maxUnreadBytes, builder::maxUnreadBytes);
            set("--max-connections", maxConnections, builder::maxConnections);
            set("--max-connections-per-uid", maxConnectionsPerUid, builder::maxConnectionsPerUid);
            set("--frame-timeout", frameTimeout, builder::frameTimeout);
            set("--idle-timeout", idleTimeout, builder::idleTimeout);
            set("--stall-timeout", stallTimeout, builder::stallTimeout);
        } catch (IllegalArgumentException e) {
            return options.usageError(e.getMessage());
        }

        int activated = SocketActivation.listeningSocket();
        if (activated >= 0) {
            builder.listeningSocket(activated);
        } else if (socket == null) {
            return options.usageError("Missing required option: '--socket=PATH' (or systemd's LISTEN_FDS)");
        } else {
            Path dir = socket.toAbsolutePath().getParent();
            if (dir == null || !Files.isDirectory(dir)) {
                System.err.println(NAME + ": socket: " + dir + ": no such directory");
                return 1;
            }
            builder.socket(socket);
        }
        // SIGINT and SIGTERM start the graceful shutdown; main then returns 0. (The JVM's own handlers would exit
        // with 130/143.) A second signal exits at once. Installed before the socket exists, so that no signal
        // that finds the socket can find the JVM's handlers instead.
        AtomicBoolean stopping = new AtomicBoolean();
        AtomicReference<FdPassServer> started = new AtomicReference<>();
        for (String name : List.of("INT", "TERM")) {
            try {
                Signals.handle(name, (signal, number) -> {
                    if (stopping.compareAndSet(false, true)) {
                        log.info("SIG{}: shutting down", signal);
                        FdPassServer running = started.get();
                        if (running != null) {
                            running.shutdownGracefully();
                        }
                    } else {
                        log.warn("SIG{} again: exiting now", signal);
                        Runtime.getRuntime().halt(128 + number);
                    }
                });
            } catch (IllegalArgumentException e) {
                log.warn("cannot handle SIG{} ({}); it ends the server without a graceful shutdown", name,
                        e.getMessage());
            }
        }
        FdPassServer server;
        try {
            server = builder.start();
        } catch (Exception e) {
            System.err.println(NAME + ": " + Cli.describe(e));
            return 1;
        }
        started.set(server);
        if (stopping.get()) {
            server.shutdownGracefully(); // a signal came while it started
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, NAME + "-shutdown"));

        FdPassHello hello = server.limits();
        String where = activated >= 0 ? "socket-activated descriptor " + activated
                : server.socketPath() + " (mode " + mode + ")";
        log.info("fdpass server listening on {} over {}, serving {}; limits: {} names, {} bytes per request, {} "
                + "unanswered", where, chosen.name(), root.toAbsolutePath(), hello.maxNames(), hello.maxFrameLength(),
                hello.maxUnanswered());
        if (statsInterval != null) {
            Thread.ofPlatform().daemon().name("fdpass-example-stats").start(() -> {
                while (!server.closeFuture().isDone()) {
                    try {
                        server.closeFuture().get(statsInterval.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (TimeoutException e) {
                        log.info("stats: {}", server.stats().snapshot());
                    } catch (Exception e) {
                        return;
                    }
                }
            });
        }
        server.closeFuture().join();
        log.info("shut down{}", activated >= 0 ? "" : "; removed " + server.socketPath());
        return 0;
    }

    /** Passes an option's value, if given, to the builder, which checks it: its message names the setting. */
    private static <T> void set(String option, T value, Consumer<T> setter) {
        if (value != null) {
            try {
                setter.accept(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Invalid value for option '" + option + "': " + e.getMessage(), e);
            }
        }
    }

    /**
     * Serves the users and groups of --allow-uid and --allow-gid every name, and refuses the others at connect: the
     * server logs the refusals, rate-limited.
     */
    static final class IdPolicy implements AccessPolicy {
        private final Set<Integer> uids;
        private final Set<Integer> gids;

        IdPolicy(Set<Integer> uids, Set<Integer> gids) {
            this.uids = uids;
            this.gids = gids;
        }

        @Override
        public boolean admits(Peer peer) {
            return uids.contains(peer.uid()) || gids.contains(peer.gid());
        }

        @Override
        public boolean allows(Peer peer, String name) {
            return admits(peer);
        }
    }
}
