package io.fdpass.examples;

import java.util.Arrays;

/**
 * {@code fdpass-bench.jar}: the load client ({@code load}), a quiet server that reports what it spends
 * ({@code server}), and the large-file read comparison ({@code read}). See README.md, "Performance".
 */
public final class BenchMain {
    static final String NAME = "fdpass-bench";

    private BenchMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (args.length == 0 ? "" : args[0]) {
            case "load" -> {
                return new LoadCommand().run(rest);
            }
            case "server" -> {
                return new BenchServerCommand().run(rest);
            }
            case "read" -> {
                return new BenchReadCommand().run(rest);
            }
            default -> {
                Options cli = new Options(NAME, "Benchmarks for fdpass: a load client, a server that reports its CPU "
                        + "time and heap, and a large-file read comparison. `fdpass-bench COMMAND --help` describes "
                        + "each.")
                        .command("load", "load a server and report what both sides spent")
                        .command("server", "a quiet server that reports what it spends")
                        .command("read", "read a large file through a received descriptor and directly");
                cli.parameters("COMMAND", 1, 1, "load, server or read.", command -> {
                    throw new IllegalArgumentException("'" + command + "' is not a command (load, server or read)");
                });
                int status = cli.parse(args);
                return status != Options.RUN ? status : cli.usageError("Missing command: load, server or read");
            }
        }
    }
}
