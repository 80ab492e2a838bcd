package io.fdpass.examples;

import io.fdpass.FdPassErrorException;
import io.fdpass.FdPassException;
import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedFile;
import io.fdpass.client.ReceivedReply;
import io.fdpass.codec.FileStatus;
import io.fdpass.confinement.Confinement;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/**
 * The example client: asks an fdpass server for NAMEs, receives an open descriptor for each and prints the first
 * bytes it reads through it.
 */
@Command(name = "fdpass-example-client", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {
                "Asks the fdpass server on the Unix domain socket PATH for each NAME (relative to its root), "
                        + "receives an open, read-only descriptor per file and prints the first bytes read through "
                        + "it: a line for the reply, then a line per name, e.g.",
                "  courses.txt OK 16 bytes: Course1\\nCourse2\\n",
                "Bytes are escaped (\\n, \\t, \\\\, \\xNN); a file longer than --bytes ends in '...'. "
                        + "Why a name failed goes to stderr.",
                "With --sandbox it first gives up opening files (Landlock, Linux 5.13+): it can then read only "
                        + "its JDK and its jar, and the files through the descriptors it receives."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:every name was opened and read", "1:some name failed (reason on stderr)",
                "2:invalid command line",
                "3:no answer: no server, not an fdpass server, connection refused or lost",
                "4:--sandbox: no sandbox here (no Landlock)"})
public final class ClientMain implements Callable<Integer> {
    static final int NAME_FAILED = 1;
    static final int NO_ANSWER = 3;
    static final int NO_SANDBOX = 4;

    @Spec
    CommandSpec spec;

    @Option(names = "--socket", required = true, paramLabel = "PATH", description = "The server's socket.")
    Path socket;

    @Option(names = "--bytes", paramLabel = "N", defaultValue = "16",
            description = "How many bytes to show from the start of each file (default: ${DEFAULT-VALUE}).")
    int bytes;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
            converter = Cli.DurationConverter.class,
            description = "How long connecting (until the server's HELLO) and the reply may each take "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--sandbox",
            description = "Before connecting, give up the right to open files (Landlock): read only the JDK and "
                    + "this jar from then on.")
    boolean sandbox;

    @Option(names = "--try-open", paramLabel = "DIR",
            description = "First try to open DIR/NAME directly, for each NAME, and print what happened (with "
                    + "--sandbox: permission denied).")
    Path tryOpen;

    @Option(names = "--stats", description = "After the reply, print the client's counters to stderr.")
    boolean stats;

    @Parameters(arity = "1..*", paramLabel = "NAME", description = "Files to ask for, relative to the server's root.")
    List<String> names;

    public static void main(String[] args) {
        // The libraries log through SLF4J; a client has nothing to say below WARN unless asked
        // (-Dorg.slf4j.simpleLogger.defaultLogLevel=debug).
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(Cli.commandLine(new ClientMain()).execute(args));
    }

    @Override
    public Integer call() {
        if (bytes < 0 || bytes > 1 << 20) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--bytes: " + bytes + " (expected: 0..1048576)");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String me = spec.name();
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
        try (FdPassClient client = FdPassClient.builder()
                .socket(socket)
                .connectTimeout(timeout)
                .requestTimeout(timeout)
                .connect();
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
