package io.fdpass.testsuite;

import io.fdpass.confinement.Confinement;
import io.fdpass.server.FdPassServer;
import io.fdpass.spi.FdPassTransport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * An fdpass server in a process of its own, for {@link AbstractFaultTest}: it can be killed, run as another user or
 * under a lower RLIMIT_NOFILE. Arguments: {@code --transport NAME --socket PATH --root PATH [--linger-millis N]
 * [--socket-mode rw-rw-rw-] [--max-connections-per-uid N] [--debug] [--no-confine] [--outside PATH]}
 * ({@code --debug}: fdpass's and Netty's debug log on stderr; fdpass's INFO lines, refusals and holds, go there
 * anyway). Its event loops confine themselves to reading beneath the root (and the JVM's files) where Landlock is
 * available, unless {@code --no-confine}; {@code --outside}: a {@link HostileSource} serves that file for every
 * name instead.
 *
 * <p>Prints {@code READY ...} once it listens (with {@code confined=true|false}), then answers commands on stdin,
 * one a line: {@code fds} (its open descriptors: {@code FDS count=N served=N sockets=N numbers=a,b,...}, served
 * being those of files beneath the root), {@code connections} ({@code CONNECTIONS N}), {@code stats}
 * ({@code STATS } and the server's counters). Exits on SIGTERM (shutting the server down) and when stdin closes.
 */
public final class ProcessServer {
    /** JUL holds loggers weakly: the configured one must stay reachable. */
    private static final List<Logger> CONFIGURED = new ArrayList<>();

    private ProcessServer() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
        if (options.containsKey("debug")) {
            debugLog("io.fdpass");
            debugLog("io.netty.channel");
        }
        // Logging loads what it needs (time zone data) on first use: not when a test has taken every descriptor.
        Logger.getLogger(ProcessServer.class.getName()).info("starting: " + String.join(" ", args));
        FdPassTransport transport = transport(options.get("transport"));
        Path root = Path.of(options.get("root")).toRealPath();
        // The server runs on a group of ours, so that "fds" can wait for what its loops are doing.
        // Confined the way an application confines its own loops, with the public API.
        boolean confined = !options.containsKey("no-confine") && Confinement.isSupported();
        ThreadFactory threads = new DefaultThreadFactory("fdpass-process-server");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, confined
                ? Confinement.jvmFiles().and(Confinement.readOnlyBeneath(root)).threadFactory(threads) : threads,
                transport.newIoHandlerFactory());
        FdPassServer.Builder builder = FdPassServer.builder().transport(transport).eventLoopGroup(group)
                .socket(Path.of(options.get("socket"))).root(root);
        if (options.containsKey("outside")) {
            builder.fileSource(HostileSource.readingOutside(Path.of(options.get("outside"))));
        }
        if (options.containsKey("linger-millis")) {
            builder.linger(Duration.ofMillis(Long.parseLong(options.get("linger-millis"))));
        }
        if (options.containsKey("socket-mode")) {
            builder.socketMode(options.get("socket-mode"));
        }
        if (options.containsKey("max-connections-per-uid")) {
            builder.maxConnectionsPerUid(Integer.parseInt(options.get("max-connections-per-uid")));
        }
        FdPassServer server = builder.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.shutdownGracefully().get(3, TimeUnit.SECONDS);
                group.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(3, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // Exiting anyway.
            }
        }));
        PrintStream out = System.out;
        out.println("READY pid=" + ProcessHandle.current().pid() + " " + status("Uid") + " " + status("CapEff")
                + " confined=" + confined + " " + fds(root));
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            switch (line.trim()) {
                case "fds" -> {
                    settle(group);
                    out.println(fds(root));
                }
                case "connections" -> out.println("CONNECTIONS " + server.connectionCount());
                case "stats" -> out.println("STATS " + server.stats().snapshot());
                default -> out.println("UNKNOWN " + line);
            }
            out.flush();
        }
        System.exit(0);
    }

    /**
     * Waits until each event loop has finished the task it was running, and then the I/O it had queued. A served
     * descriptor is closed by the listener of its write, in the task that sent it: once the client holds it, the
     * server's copy is closed by the end of that task, which may not have come yet when the client asks. An io_uring
     * loop closes a channel's socket with an operation it submits on its next turn: a second task runs after it.
     */
    private static void settle(EventLoopGroup group) throws InterruptedException {
        for (EventExecutor loop : group) {
            loop.submit(() -> { }).await();
            loop.submit(() -> { }).await();
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String key = args[i].substring(2);
            if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                options.put(key, args[++i]);
            } else {
                options.put(key, "");
            }
        }
        return options;
    }

    static FdPassTransport transport(String name) {
        for (FdPassTransport transport : ServiceLoader.load(FdPassTransport.class)) {
            if (transport.name().equals(name)) {
                return transport;
            }
        }
        throw new IllegalArgumentException("no transport named " + name + " on the class path");
    }

    private static void debugLog(String name) {
        Logger logger = Logger.getLogger(name);
        logger.setLevel(Level.FINE);
        ConsoleHandler handler = new ConsoleHandler();
        handler.setLevel(Level.FINE);
        handler.setFormatter(new SimpleFormatter());
        logger.addHandler(handler);
        logger.setUseParentHandlers(false);
        CONFIGURED.add(logger);
    }

    /** A line of /proc/self/status, such as {@code Uid=0} (the real uid) or {@code CapEff=...}. */
    private static String status(String field) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/status"));
        } catch (IOException e) {
            return field + "=?"; // no /proc (macOS)
        }
        for (String line : lines) {
            if (line.startsWith(field + ":")) {
                return field + "=" + line.substring(field.length() + 1).trim().split("\\s+")[0];
            }
        }
        return field + "=?";
    }

    /** This process's open descriptors, the directory stream that lists them excepted. */
    static String fds(Path root) throws IOException {
        Path self = Path.of("/proc/self/fd");
        if (!Files.isDirectory(self)) {
            return "FDS count=-1 served=-1 sockets=-1 numbers=-1"; // no /proc (macOS)
        }
        Path listing = self.toRealPath();
        List<Integer> numbers = new ArrayList<>();
        int served = 0;
        int sockets = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(self)) {
            for (Path fd : fds) {
                Path target;
                try {
                    target = Files.readSymbolicLink(fd);
                } catch (IOException e) {
                    continue; // closed meanwhile
                }
                if (target.equals(listing)) {
                    continue;
                }
                numbers.add(Integer.parseInt(fd.getFileName().toString()));
                if (target.startsWith(root) && !target.equals(root)) {
                    served++;
                } else if (target.toString().startsWith("socket:")) {
                    sockets++;
                }
            }
        }
        numbers.sort(null);
        return "FDS count=" + numbers.size() + " served=" + served + " sockets=" + sockets + " numbers="
                + String.join(",", numbers.stream().map(String::valueOf).toList());
    }
}
