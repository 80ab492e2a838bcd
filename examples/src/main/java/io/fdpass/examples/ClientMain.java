package io.fdpass.examples;

import io.fdpass.FdPassErrorException;
import io.fdpass.FdPassException;
import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedFile;
import io.fdpass.client.ReceivedReply;
import io.fdpass.codec.FileStatus;
import io.fdpass.confinement.Confinement;
import io.fdpass.spi.FdPassTransport;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * The example client: asks an fdpass server for NAMEs, receives an open descriptor for each and prints the first
 * bytes it reads through it.
 */
public final class ClientMain {
    static final String NAME = "fdpass-example-client";
    static final int NAME_FAILED = 1;
    static final int NO_ANSWER = 3;
    static final int NO_SANDBOX = 4;

    private Path socket;
    private FdPassTransport transport;
    private boolean stats;
    private int bytes = 16;
    private Duration timeout = Duration.ofSeconds(10);
    private boolean sandbox;
    private Path tryOpen;
    private final List<String> names = new ArrayList<>();
    private final PrintStream out = System.out;
    private final PrintStream err = System.err;
    final Options options = options();

    private Options options() {
        Options cli = new Options(NAME,
                "Asks the fdpass server on the Unix domain socket PATH for each NAME (relative to its root), "
                        + "receives an open, read-only descriptor per file and prints the first bytes read through "
                        + "it: a line for the reply, then a line per name, e.g.",
                "  courses.txt OK 16 bytes: Course1\\nCourse2\\n",
                "Bytes are escaped (\\n, \\t, \\\\, \\xNN); a file longer than --bytes ends in '...'. "
                        + "Why a name failed goes to stderr.",
                "With --sandbox it first gives up opening files (Landlock, Linux 5.13+): it can then read only "
                        + "its JDK and its jar, and the files through the descriptors it receives.")
                .exitStatus("0", "every name was opened and read")
                .exitStatus("1", "some name failed (reason on stderr)")
                .exitStatus("2", "invalid command line")
                .exitStatus("3", "no answer: no server, not an fdpass server, connection refused or lost")
                .exitStatus("4", "--sandbox: no sandbox here (no Landlock)");
        cli.value("--socket", "PATH", "The server's socket.", v -> socket = Path.of(v)).required();
        cli.value("--transport", "NAME", Cli.TRANSPORT_HELP, v -> transport = Cli.transport(v));
        cli.value("--bytes", "N", "How many bytes to show from the start of each file, 0..1048576 (default: 16).",
                v -> bytes = Cli.integer(v));
        cli.value("--timeout", "DURATION", "How long connecting (until the server's HELLO) and the reply may each "
                + "take (default: 10s).", v -> timeout = Cli.duration(v));
        cli.flag("--sandbox", "Before connecting, give up the right to open files (Landlock): read only the JDK and "
                + "this jar from then on.", () -> sandbox = true);
        cli.value("--try-open", "DIR", "First try to open DIR/NAME directly, for each NAME, and print what happened "
                + "(with --sandbox: permission denied).", v -> tryOpen = Path.of(v));
        cli.flag("--stats", "After the reply, print the client's counters to stderr.", () -> stats = true);
        cli.parameters("NAME", 1, Integer.MAX_VALUE, "Files to ask for, relative to the server's root.", names::add);
        return cli;
    }

    public static void main(String[] args) {
        // The libraries log through SLF4J; a client has nothing to say below WARN unless asked
        // (-Dorg.slf4j.simpleLogger.defaultLogLevel=debug), and a command's lines need no time of day (slf4j-simple
        // would make a date formatter for it as it starts).
        Cli.setDefault("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Cli.setDefault("org.slf4j.simpleLogger.showDateTime", "false");
        Cli.nettyEventsOnlyWhenRecording();
        System.exit(new ClientMain().run(args));
    }

    int run(String[] args) {
        int status = options.parse(args);
        return status != Options.RUN ? status : options.run(this::ask);
    }

    private int ask() {
        if (bytes < 0 || bytes > 1 << 20) {
            return options.usageError("--bytes: " + bytes + " (expected: 0..1048576)");
        }
        String me = NAME;
        if (sandbox) {
            try {
                // This thread, and the client's event loop, which it starts later.
                Confinement.jvmFiles().restrictCurrentThread();
            } catch (IOException | UnsupportedOperationException e) {
                err.println(me + ": --sandbox: " + e.getMessage());
                return NO_SANDBOX;
            }
        }
        if (tryOpen != null) {
            for (String name : names) {
                out.println("direct open: " + openDirectly(name));
            }
        }
        FdPassClient.Builder builder = FdPassClient.builder()
                .socket(socket)
                .connectTimeout(timeout)
                .requestTimeout(timeout);
        if (transport != null) {
            builder.transport(transport);
        }
        try (FdPassClient client = builder.connect();
             ReceivedReply reply = client.request(names).get()) {
            long ok = reply.entries().stream().filter(ReceivedReply.Entry::isOk).count();
            out.println("reply: " + names.size() + (names.size() == 1 ? " name, " : " names, ") + ok + " OK, "
                    + (names.size() - ok) + " failed");
            int status = 0;
            for (ReceivedReply.Entry entry : reply.entries()) {
                String name = Cli.displayName(entry.name());
                if (entry.isOk()) {
                    try {
                        out.println(name + " OK " + entry.size() + " bytes" + head(entry.file(), entry.size()));
                    } catch (IOException e) {
                        out.println(name + " READ_FAILED");
                        err.println(me + ": " + name + ": " + Cli.describe(e));
                        status = NAME_FAILED;
                    }
                } else {
                    out.println(name + " " + statusName(entry));
                    err.println(me + ": " + name + ": " + reason(entry));
                    status = NAME_FAILED;
                }
            }
            out.flush();
            reply.close(); // before the counters, which count what the caller still holds
            if (stats) {
                err.println(me + ": stats: " + client.stats().snapshot());
            }
            return status;
        } catch (FdPassErrorException e) {
            // The server refused the connection (HELLO, then ERROR): its message says why, in one line.
            err.println(me + ": " + socket + ": " + e.getMessage());
            return NO_ANSWER;
        } catch (FdPassException e) {
            // Connecting failed: the message is one line and names the socket.
            err.println(me + ": " + e.getMessage());
            return NO_ANSWER;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalArgumentException) {
                // The request breaks the limits the server announced (too many names, too long).
                err.println(me + ": request refused before sending: " + Cli.describe(cause));
                return Cli.USAGE;
            }
            err.println(me + ": " + socket + ": " + Cli.describe(cause));
            return NO_ANSWER;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println(me + ": interrupted");
            return NO_ANSWER;
        }
    }

    /** What opening {@code --try-open}/NAME for reading came to: {@code PATH: opened}, or why not. */
    private String openDirectly(String name) {
        Path file;
        try {
            file = tryOpen.resolve(name);
        } catch (InvalidPathException e) {
            return Cli.escape(name) + ": not a path";
        }
        try (InputStream in = Files.newInputStream(file)) {
            return Cli.escape(file.toString()) + ": opened";
        } catch (IOException e) {
            return Cli.escape(Cli.describe(e));
        }
    }

    /** ": " and the first --bytes bytes of the file, escaped, read at offset 0 through the descriptor. */
    private String head(ReceivedFile file, long size) throws IOException {
        if (bytes == 0) {
            return "";
        }
        ByteBuffer buf = ByteBuffer.allocate(bytes);
        long position = 0;
        while (buf.hasRemaining()) {
            int n = file.read(buf, position);
            if (n < 0) {
                break;
            }
            position += n;
        }
        return ": " + Cli.escape(buf.array(), buf.position()) + (size > position ? "..." : "");
    }

    private static String statusName(ReceivedReply.Entry entry) {
        return entry.status() == FileStatus.UNKNOWN ? "STATUS_" + entry.statusCode() : entry.status().name();
    }

    /** Why a name failed, one line: the library's words, then the status as the wire has it. */
    static String reason(ReceivedReply.Entry entry) {
        return entry.reason() + " (" + statusName(entry) + ")";
    }
}
