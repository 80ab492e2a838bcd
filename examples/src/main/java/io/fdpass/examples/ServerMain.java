package io.fdpass.examples;

import io.fdpass.AccessPolicy;
import io.fdpass.Peer;
import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassProtocol;
import io.fdpass.confinement.Confinement;
import io.fdpass.server.FdPassServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The example server: serves the regular files beneath {@code --root} on the socket {@code --socket} until SIGINT or
 * SIGTERM, then shuts down gracefully (protocol v1, "Closing"), removes the socket and exits 0.
 */
@Command(name = "fdpass-example-server", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {
                "Hands clients open, read-only descriptors of the regular files beneath DIR over the Unix domain "
                        + "socket PATH (fdpass protocol v1), so that they can read files they could not open "
                        + "themselves.",
                "Serves until SIGINT or SIGTERM, then shuts down gracefully, removes the socket and exits 0. "
                        + "Logs to stderr: one line when ready, one per connection (the client's uid, gid and pid), "
                        + "and what it refuses (connections, names): the first few of each kind every 10 s, the rest "
                        + "counted by uid in one line each.",
                "Where the kernel has Landlock (Linux 5.13+), the threads that serve confine themselves to "
                        + "reading beneath DIR (and the JVM's own files), unless --no-confine; the log says which."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:shut down on SIGINT or SIGTERM", "1:could not start (socket in use, no root, ...)",
                "2:invalid command line"})
public final class ServerMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger("fdpass-example-server");

    @Option(names = "--socket", paramLabel = "PATH",
            description = "The socket file to create. A stale one is replaced; a live server's is not. Not needed "
                    + "under systemd socket activation (LISTEN_FDS), which hands over a listening socket instead.")
    Path socket;

    @Option(names = "--root", required = true, paramLabel = "DIR",
            description = "Serve the regular files beneath this directory (never outside it).")
    Path root;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "0600", converter = ModeConverter.class,
            description = "The socket file's mode, octal or rw-rw----: who may connect (default: ${DEFAULT-VALUE}).")
    Cli.Mode mode;

    @Option(names = "--allow-uid", paramLabel = "UID", split = ",", converter = Cli.IdConverter.class,
            description = "Serve only these users (effective uid), and the --allow-gid groups. Repeatable.")
    List<Integer> allowUids = new ArrayList<>();

    @Option(names = "--allow-gid", paramLabel = "GID", split = ",", converter = Cli.IdConverter.class,
            description = "Serve only these groups (the client's effective gid), and the --allow-uid users. "
                    + "Without either, everyone who can connect is served.")
    List<Integer> allowGids = new ArrayList<>();

    @Option(names = "--allow-mounts",
            description = "Serve the files of other mounts beneath --root too (default: PERMISSION_DENIED), but "
                    + "never those of a pseudo filesystem (proc, sysfs, cgroup...).")
    boolean allowMounts;

    @Option(names = "--no-confine",
            description = "Do not confine the serving threads with Landlock (by default they may read beneath DIR "
                    + "and the JVM's own files, nothing else, where the kernel has Landlock).")
    boolean noConfine;

    @Option(names = "--max-names", paramLabel = "N",
            description = "Names per request, 1.." + FdPassProtocol.MAX_NAMES_LIMIT + " (default: "
                    + FdPassServer.DEFAULT_MAX_NAMES + ").")
    Integer maxNames;

    @Option(names = "--max-frame-length", paramLabel = "BYTES",
            description = "Largest request frame, " + FdPassProtocol.MIN_FRAME_LENGTH_LIMIT + ".."
                    + FdPassProtocol.MAX_FRAME_LENGTH_LIMIT + " (default: "
                    + FdPassServer.DEFAULT_MAX_FRAME_LENGTH + ").")
    Integer maxFrameLength;

    @Option(names = "--max-unanswered", paramLabel = "N",
            description = "Requests a client may have unanswered before the server stops reading it, 1.."
                    + FdPassProtocol.MAX_UNANSWERED_LIMIT + " (default: " + FdPassServer.DEFAULT_MAX_UNANSWERED + ").")
    Integer maxUnanswered;

    @Option(names = "--max-unread-bytes", paramLabel = "BYTES",
            description = "No reply is written while a client has more than this unread, in kernel bytes "
                    + "(default and most: the socket's send buffer less room for a largest reply).")
    Integer maxUnreadBytes;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Connections served at once; one more gets HELLO, then ERROR TOO_MANY_CONNECTIONS (default: "
                    + FdPassServer.DEFAULT_MAX_CONNECTIONS + ").")
    Integer maxConnections;

    @Option(names = "--max-connections-per-uid", paramLabel = "N",
            description = "Connections served at once for one user (default: an eighth of --max-connections).")
    Integer maxConnectionsPerUid;

    @Option(names = "--frame-timeout", paramLabel = "DURATION", converter = Cli.DurationConverter.class,
            description = "How long a request frame begun may take to arrive whole, then ERROR TIMED_OUT; 0 for ever "
                    + "(default: " + FdPassServer.DEFAULT_FRAME_TIMEOUT_MILLIS / 1000 + "s).")
    Duration frameTimeout;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = Cli.DurationConverter.class,
            description = "How long a connection with nothing unanswered may stay idle, then ERROR TIMED_OUT; 0 for "
                    + "ever (default: " + FdPassServer.DEFAULT_IDLE_TIMEOUT_MILLIS / 60_000 + "m).")
    Duration idleTimeout;

    @Option(names = "--stall-timeout", paramLabel = "DURATION", converter = Cli.DurationConverter.class,
            description = "How long a connection held back because its client does not read (or its uid's share of "
                    + "descriptors in flight is used up) may wait for it to read anything, then ERROR TIMED_OUT; 0 "
                    + "for ever (default: " + FdPassServer.DEFAULT_STALL_TIMEOUT_MILLIS / 1000 + "s).")
    Duration stallTimeout;

    @Option(names = "--linger", paramLabel = "DURATION", converter = Cli.DurationConverter.class,
            description = "How long a connection may linger for its client after an ERROR or the shutdown, "
                    + "e.g. 500ms, 10s (default: " + FdPassServer.DEFAULT_LINGER_MILLIS / 1000 + "s).")
    Duration linger;

    @Option(names = "--stats-interval", paramLabel = "DURATION", converter = Cli.DurationConverter.class,
            description = "Log the server's counters this often, e.g. 10s (default: never).")
    Duration statsInterval;

    public static void main(String[] args) {
        System.exit(Cli.commandLine(new ServerMain()).execute(args));
    }

    @Override
    public Integer call() {
        FdPassServer.Builder builder = FdPassServer.builder()
                .root(root)
                .allowMounts(allowMounts)
                .socketMode(mode.permissions())
                .logConnections(true);
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
            System.err.println("fdpass-example-server: " + e.getMessage());
            System.err.println("Try 'fdpass-example-server --help' for more information.");
            return Cli.USAGE;
        }

        int activated = SocketActivation.listeningSocket();
        if (activated >= 0) {
            builder.listeningSocket(activated);
        } else if (socket == null) {
            System.err.println("fdpass-example-server: Missing required option: '--socket=PATH' (or systemd's "
                    + "LISTEN_FDS)");
            System.err.println("Try 'fdpass-example-server --help' for more information.");
            return Cli.USAGE;
        } else {
            Path dir = socket.toAbsolutePath().getParent();
            if (dir == null || !Files.isDirectory(dir)) {
                System.err.println("fdpass-example-server: socket: " + dir + ": no such directory");
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
            System.err.println("fdpass-example-server: " + Cli.describe(e));
            return 1;
        }
        started.set(server);
        if (stopping.get()) {
            server.shutdownGracefully(); // a signal came while it started
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "fdpass-example-server-shutdown"));

        FdPassHello hello = server.limits();
        String where = activated >= 0 ? "socket-activated descriptor " + activated
                : server.socketPath() + " (mode " + mode + ")";
        log.info("fdpass server listening on {}, serving {}; limits: {} names, {} bytes per request, {} unanswered",
                where, root.toAbsolutePath(), hello.maxNames(), hello.maxFrameLength(), hello.maxUnanswered());
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

    static final class ModeConverter implements picocli.CommandLine.ITypeConverter<Cli.Mode> {
        @Override
        public Cli.Mode convert(String value) {
            return Cli.Mode.parse(value);
        }
    }
}
