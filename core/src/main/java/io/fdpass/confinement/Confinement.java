package io.fdpass.confinement;

import io.fdpass.client.FdPassClient;
import io.fdpass.internal.ClassPath;
import io.fdpass.internal.Landlock;
import io.fdpass.spi.FdPassTransport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadFactory;
import java.util.stream.Collectors;

/**
 * Gives up file system access for good, but for reading (and, where asked, executing) beneath some paths: Linux's
 * Landlock (5.13+, no privilege needed), the way OpenBSD's {@code unveil} does. A worker that reads only what it
 * is handed over fdpass confines itself so:
 *
 * <pre>{@code
 * Confinement.jvmFiles().restrictCurrentThread(); // before connecting: the client's event loop inherits it
 * try (FdPassClient client = FdPassClient.connect(Path.of("/run/files.sock"));
 *      ReceivedReply reply = client.request("courses.txt").join()) {
 *     byte[] bytes = reply.entry(0).file().inputStream().readAllBytes(); // through the descriptor
 * }
 * }</pre>
 *
 * <p><b>Which threads.</b> Landlock restricts the calling thread and the threads and processes it starts
 * afterwards, never a thread already running, and this kernel API has no way to restrict a whole process. So
 * {@link #restrictCurrentThread()} confines the calling thread and whatever it starts later (an
 * {@link FdPassClient}'s event loops, if it connects afterwards); {@link #threadFactory} makes threads that confine
 * themselves before running anything; {@link #start} runs a command in a domain. The JVM's other threads (garbage
 * collection, compilers, signal dispatch, finalizer, cleaner, and every thread started before) keep their access.
 * Pools that start their threads lazily from whichever thread submits get confined threads when a confined thread
 * submits first: {@code ForkJoinPool.commonPool()}, Netty's {@code GlobalEventExecutor}, the JDK's process reaper.
 *
 * <p><b>Living confined in a JVM.</b> The JVM opens files lazily: class path jars on the first class looked up in
 * them (and a class loader that cannot open a jar may drop it for every thread), native libraries, time zone data.
 * A domain without {@link #jvmFiles()} cannot load a class it has not loaded yet. Netty extracts its transports'
 * native libraries to a temporary directory on first use: {@link #restrictCurrentThread()} loads fdpass's transports
 * first. Files the JVM creates for a thread as it fails (a crash report, a heap dump) may not be written from a
 * confined thread, nor files that a logger opens as it logs (a rolling appender rolling over on the logging thread).
 * Each confined thread has {@code no_new_privs} set: set-user-ID programs it executes gain nothing.
 *
 * <p><b>What Landlock does not restrict.</b> Descriptors already open (standard streams, sockets, descriptors
 * received over fdpass); {@code stat}, {@code chmod}, {@code chown}, extended attributes, {@code utime},
 * {@code flock} and opening with {@code O_PATH}; connecting to a Unix socket by path (up to ABI 7); the network,
 * signals and abstract Unix sockets (Landlock restricts them since ABI 4 and 6; this class does not). Before ABI 3
 * {@code truncate(2)} is not restricted, before ABI 5 {@code ioctl(2)} on devices; later ABIs' further rights stay
 * allowed until fdpass knows them. A thread can be in at most 16 nested domains.
 *
 * <p>Testing knob: {@code -Dio.fdpass.landlock.abi=N} uses at most ABI N, and 0 acts as if the kernel had no
 * Landlock.
 */
public final class Confinement {
    /** Whether a server confines the threads it starts. */
    public enum Mode {
        /** Refuse to start where Landlock is unavailable. */
        REQUIRED,
        /** Confine where Landlock is available; elsewhere run unconfined, saying so in one log line. */
        IF_AVAILABLE,
        /** Do not confine. */
        OFF
    }

    private static final long READ = Landlock.ACCESS_FS_READ_FILE | Landlock.ACCESS_FS_READ_DIR;
    /** The JDK's helper that the JVM executes to start a process (its default launch mechanism on Linux). */
    private static final Confinement SPAWN_HELPER = new Confinement(List.of(new Rule(
            Path.of(System.getProperty("java.home"), "lib", "jspawnhelper"),
            Landlock.ACCESS_FS_READ_FILE | Landlock.ACCESS_FS_EXECUTE, Kind.JVM)));

    private enum Kind { READ, EXECUTE, JVM }

    /** What a domain allows beneath {@code path}; a {@link Kind#JVM} path that cannot be opened is skipped. */
    private record Rule(Path path, long access, Kind kind) {
    }

    private final List<Rule> rules;

    private Confinement(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** Reading the files and directories beneath each of {@code paths} (or just the file), nothing else. */
    public static Confinement readOnlyBeneath(Path... paths) {
        return of(paths, READ, Kind.READ);
    }

    /** Reading and executing the files beneath each of {@code paths}: for the programs {@link #start} runs. */
    public static Confinement executableBeneath(Path... paths) {
        return of(paths, READ | Landlock.ACCESS_FS_EXECUTE, Kind.EXECUTE);
    }

    /**
     * Reading the files (not listing the directories) that this JVM may still need as it runs: its JDK
     * ({@code java.home}), its class and module path (manifests' {@code Class-Path} followed), and the jars of
     * fdpass and Netty, as the JVM sees them now; those it cannot open are left out. A directory on the class
     * path lets every file beneath it be read: a class path of jars, or of directories holding only classes,
     * keeps this narrow ({@code -cp .} run from a home directory does not).
     */
    public static Confinement jvmFiles() {
        List<Path> paths = new ArrayList<>();
        paths.add(Path.of(System.getProperty("java.home")));
        paths.addAll(ClassPath.entries());
        for (Class<?> c : List.of(Confinement.class, io.netty.channel.Channel.class)) {
            CodeSource source = c.getProtectionDomain().getCodeSource();
            if (source != null && source.getLocation() != null && "file".equals(source.getLocation().getProtocol())) {
                try {
                    paths.add(Path.of(source.getLocation().toURI()));
                } catch (URISyntaxException | IllegalArgumentException ignored) {
                    // Not a path: nothing to allow.
                }
            }
        }
        return new Confinement(paths.stream().distinct()
                .map(p -> new Rule(p, Landlock.ACCESS_FS_READ_FILE, Kind.JVM)).toList());
    }

    private static Confinement of(Path[] paths, long access, Kind kind) {
        List<Rule> rules = new ArrayList<>();
        for (Path path : paths) {
            rules.add(new Rule(Objects.requireNonNull(path, "path").toAbsolutePath(), access, kind));
        }
        return new Confinement(rules);
    }

    /** What this domain and {@code other} allow, together. */
    public Confinement and(Confinement other) {
        List<Rule> all = new ArrayList<>(rules);
        all.addAll(other.rules);
        return new Confinement(all);
    }

    /** Whether Landlock is there to confine with. */
    public static boolean isSupported() {
        return Landlock.abi() > 0;
    }

    /** Why {@link #isSupported()} is false, in a few words; null where Landlock is there. */
    public static String unavailableReason() {
        return isSupported() ? null : Landlock.unavailableReason();
    }

    /** The Landlock ABI version the kernel speaks (7 on Linux 6.15 and later); 0 where there is none. */
    public static int abi() {
        return Landlock.abi();
    }

    /**
     * Restricts the calling thread to this domain, for good, and every thread and process it starts from now on.
     * Loads fdpass's transports first (see the class comment).
     *
     * @throws UnsupportedOperationException where there is no Landlock, saying why
     * @throws IllegalStateException on a virtual thread: it would restrict the carrier thread, which other
     *         virtual threads share
     * @throws IOException if a path cannot be opened (but the JVM's files) or Landlock refuses
     */
    public void restrictCurrentThread() throws IOException {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("a virtual thread cannot be confined: it would confine its carrier, "
                    + "a thread that other virtual threads share");
        }
        // Netty extracts a transport's native library to a temporary directory on first use, which a confined
        // thread cannot write: load them all now.
        FdPassTransport.all().forEach(FdPassTransport::isAvailable);
        try (Landlock.Ruleset ruleset = ruleset()) {
            ruleset.restrictCurrentThread();
        }
    }

    /**
     * Threads of {@code delegate} that restrict themselves to this domain before they run anything: for an
     * executor or event loop group whose threads should be confined (give them none of your other work). A thread
     * that cannot restrict itself ends at once, with the reason as its uncaught exception.
     *
     * @throws UnsupportedOperationException where there is no Landlock
     * @throws IOException if the rules cannot be made (a path that cannot be opened), checked now
     */
    public ThreadFactory threadFactory(ThreadFactory delegate) throws IOException {
        Objects.requireNonNull(delegate, "delegate");
        ruleset().close();
        return task -> delegate.newThread(confining(task, this::restrictCurrentThread));
    }

    /**
     * Starts {@code command} in this domain, allowing also the JDK's spawn helper to be executed: from a fresh
     * thread that restricts itself, since a process inherits the domain of the thread that forks it. The program
     * and what it loads must be allowed ({@link #executableBeneath}: on most systems {@code /usr}, and
     * {@code /lib} and {@code /lib64} where they are not links into it); so must files the builder redirects to,
     * which that thread opens. If that thread is the first to need the JDK's process reaper, the reaper's thread
     * is confined too: it only waits for processes, but {@code Process.onExit()} callbacks may run on it.
     */
    public Process start(ProcessBuilder command) throws IOException {
        Objects.requireNonNull(command, "command");
        Confinement domain = and(SPAWN_HELPER);
        CompletableFuture<Process> started = new CompletableFuture<>();
        Thread.ofPlatform().name("fdpass-confined-start").start(() -> {
            try {
                domain.restrictCurrentThread();
                started.complete(command.start());
            } catch (Throwable t) {
                started.completeExceptionally(t);
            }
        });
        try {
            return started.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IOException(cause);
        }
    }

    /**
     * The rules made now, naming the paths as they are now, for threads that restrict themselves later: a server
     * makes them once for every thread it starts, rather than open each path anew per thread.
     *
     * @throws UnsupportedOperationException where there is no Landlock
     * @throws IOException if a path cannot be opened (but the JVM's files)
     */
    public Prepared prepare() throws IOException {
        return new Prepared(this, ruleset());
    }

    /**
     * A domain's rules made once ({@link #prepare()}), for the threads that restrict themselves with them. Close it
     * once no thread is to start any more; a thread that restricts itself after that makes the rules anew, from the
     * paths. Thread-safe.
     */
    public static final class Prepared implements AutoCloseable {
        private final Confinement domain;
        /** Guarded by this; null once closed. */
        private Landlock.Ruleset ruleset;
        private final int abi;

        private Prepared(Confinement domain, Landlock.Ruleset ruleset) {
            this.domain = domain;
            this.ruleset = ruleset;
            this.abi = ruleset.abi();
        }

        /** As {@link Confinement#restrictCurrentThread()}, with the rules made already. */
        public void restrictCurrentThread() throws IOException {
            synchronized (this) {
                if (ruleset != null) {
                    ruleset.restrictCurrentThread();
                    return;
                }
            }
            domain.restrictCurrentThread();
        }

        /** As {@link Confinement#threadFactory(ThreadFactory)}, with the rules made already. */
        public ThreadFactory threadFactory(ThreadFactory delegate) {
            Objects.requireNonNull(delegate, "delegate");
            return task -> delegate.newThread(confining(task, this::restrictCurrentThread));
        }

        /** The Landlock ABI the rules were made for. */
        public int abi() {
            return abi;
        }

        /** The domain these are the rules of. */
        public Confinement domain() {
            return domain;
        }

        @Override
        public synchronized void close() {
            if (ruleset != null) {
                ruleset.close();
                ruleset = null;
            }
        }
    }

    /** The rules made, not yet enforced; the caller closes them. */
    private Landlock.Ruleset ruleset() throws IOException {
        Landlock.Ruleset ruleset = Landlock.Ruleset.create();
        try {
            for (Rule rule : rules) {
                ruleset.allow(rule.path(), rule.access(), rule.kind() == Kind.JVM);
            }
            return ruleset;
        } catch (IOException | RuntimeException e) {
            ruleset.close();
            throw e;
        }
    }

    /** A task that first runs {@code restriction}, and does not run if it fails. */
    private static Runnable confining(Runnable task, IoAction restriction) {
        return () -> {
            try {
                restriction.run();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot confine " + Thread.currentThread().getName() + ": "
                        + e.getMessage(), e);
            }
            task.run();
        };
    }

    /** Something that may fail with an IOException. */
    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }

    /** What the domain allows, for messages: the JVM's files summed up. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        for (Kind kind : List.of(Kind.READ, Kind.EXECUTE)) {
            String paths = rules.stream().filter(r -> r.kind() == kind).map(r -> r.path().toString())
                    .collect(Collectors.joining(", "));
            if (!paths.isEmpty()) {
                parts.add((kind == Kind.READ ? "read beneath " : "read and execute beneath ") + paths);
            }
        }
        long jvm = rules.stream().filter(r -> r.kind() == Kind.JVM).count();
        if (jvm > 0) {
            parts.add("read the JVM's own files (" + jvm + " paths)");
        }
        return "Confinement[" + (parts.isEmpty() ? "nothing" : String.join("; ", parts)) + "]";
    }
}
