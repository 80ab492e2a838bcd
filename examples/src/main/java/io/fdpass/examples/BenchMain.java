package io.fdpass.examples;

import picocli.CommandLine.Command;

/**
 * {@code fdpass-bench.jar}: the load client ({@code load}), a quiet server that reports what it spends
 * ({@code server}), and the large-file read comparison ({@code read}). See README.md, "Performance".
 */
@Command(name = "fdpass-bench", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        usageHelpAutoWidth = true,
        subcommands = {LoadCommand.class, BenchServerCommand.class, BenchReadCommand.class},
        description = {"Benchmarks for fdpass: a load client, a server that reports its CPU time and heap, and a "
                + "large-file read comparison. `fdpass-bench COMMAND --help` describes each."})
public final class BenchMain implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(Cli.commandLine(new BenchMain()).execute(args));
    }

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing command: load, server or read");
    }
}
