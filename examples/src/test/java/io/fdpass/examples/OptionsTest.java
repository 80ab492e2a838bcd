package io.fdpass.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptionsTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private String socket;
    private boolean stats;
    private int bytes = 16;
    private final List<Integer> uids = new ArrayList<>();
    private final List<String> names = new ArrayList<>();

    private Options options() {
        Options cli = new Options("prog", "Does things. " + "Many words. ".repeat(12), "  kept as it is")
                .streams(new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8))
                .exitStatus("0", "fine");
        cli.value("--socket", "PATH", "The socket.", v -> socket = v).required();
        cli.flag("--stats", "Counters.", () -> stats = true);
        cli.value("--bytes", "N", "How many.", v -> bytes = Cli.integer(v));
        cli.value("--allow-uid", "UID", "Users.", v -> uids.add(Cli.id(v))).repeatable().split(",");
        cli.parameters("NAME", 1, 3, "Names.", names::add);
        return cli;
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void readsValuesBothWaysFlagsRepeatsAndParameters() {
        int status = options().parse(new String[] {"--socket", "/s", "--bytes=4", "--stats", "--allow-uid", "1,2",
                "--allow-uid=3", "a", "--", "-b"});
        assertEquals(Options.RUN, status, this::err);
        assertEquals("/s", socket);
        assertEquals(4, bytes);
        assertTrue(stats);
        assertEquals(List.of(1, 2, 3), uids);
        assertEquals(List.of("a", "-b"), names);
        assertEquals("", err());
    }

    @Test
    void saysWhatIsWrongInOneLineAndPointsToTheHelp() {
        assertError("Missing required option: '--socket=PATH'", "a");
        assertError("Unknown option: '--sock'", "--sock", "/s", "a");
        assertError("Missing required parameter: 'NAME'", "--socket", "/s");
        assertError("Missing required parameter for option '--bytes' (N)", "--socket", "/s", "a", "--bytes");
        assertError("Invalid value for option '--bytes': 'many' is not an integer", "--socket", "/s", "--bytes",
                "many", "a");
        assertError("Invalid value for option '--allow-uid': 'x' is not a numeric id", "--socket", "/s",
                "--allow-uid", "1,x", "a");
        assertError("Option '--socket' should be given only once", "--socket", "/s", "--socket", "/t", "a");
        assertError("Option '--stats' takes no value: '--stats=yes'", "--socket", "/s", "--stats=yes", "a");
        assertError("Too many NAME parameters: 4 (expected: <= 3)", "--socket", "/s", "a", "b", "c", "d");
    }

    private void assertError(String message, String... args) {
        err.reset();
        assertEquals(Options.USAGE, options().parse(args), this::err);
        assertEquals("prog: " + message + "\nTry 'prog --help' for more information.\n", err());
    }

    @Test
    void helpListsEveryOptionWithinEightyColumns() {
        assertEquals(0, options().parse(new String[] {"--socket", "/s", "--help"}));
        String help = out.toString(StandardCharsets.UTF_8);
        assertTrue(help.startsWith("Usage: prog [OPTION]... --socket=PATH NAME...\nDoes things."), help);
        for (String line : List.of("  kept as it is", String.format("%-28s%s", "      --socket=PATH", "The socket."),
                String.format("%-28s%s", "      --allow-uid=UID", "Users."),
                String.format("%-28s%s", "  -h, --help", "Show this help and exit."), "Exit status:", "  0   fine")) {
            assertTrue(help.lines().anyMatch(line::equals), () -> "no line '" + line + "' in\n" + help);
        }
        assertTrue(help.lines().allMatch(l -> l.length() <= 80), help);
        assertEquals("", err());
    }

    @Test
    void versionNamesTheProgramAndNetty() {
        assertEquals(0, options().parse(new String[] {"-V"}));
        String version = out.toString(StandardCharsets.UTF_8);
        assertTrue(version.startsWith("prog "), version);
        assertTrue(version.contains(", Netty "), version);
    }

    @Test
    void reportsWhatEscapesTheProgramInOneLine() {
        Options cli = options();
        assertEquals(1, cli.run(() -> {
            throw new java.nio.file.NoSuchFileException("/x");
        }));
        assertEquals("prog: /x: no such file or directory\n", err());
        assertEquals(7, cli.run(() -> 7));
    }
}
