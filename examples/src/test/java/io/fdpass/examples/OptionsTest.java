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
        assertError("Unknown option: '--sock'", "--socket", "/s", "--sock", "a");
        assertError("Missing required parameter: 'NAME'", "--socket", "/s");
        assertError("Missing required parameter for option '--bytes' (N)", "--socket", "/s", "a", "--bytes");
        assertError("Invalid value for option '--bytes': 'many' is not an int", "--socket", "/s", "--bytes",
                "many", "a");
        assertError("Invalid value for option '--allow-uid': 'x' is not a numeric id", "--socket", "/s",
                "--allow-uid", "1,x", "a");
        assertError("option '--socket' (PATH) should be specified only once", "--socket", "/s", "--socket", "/t",
                "a");
        assertError("Unknown option: '--stats=yes'", "--socket", "/s", "--stats=yes", "a");
        assertError("Too many NAME parameters: 4 (expected: <= 3)", "--socket", "/s", "a", "b", "c", "d");
    }

    /**
     * The example client's command line as picocli judged it before, in its words: what the Python client
     * (clients/python) also says, word for word.
     */
    @Test
    void theClientSaysWhatPicocliSaid() {
        for (String[] line : new String[][] {
                {"Missing required options and parameters: '--socket=PATH', 'NAME'"},
                {"Missing required parameter: 'NAME'", "--socket", "s.sock"},
                {"Missing required option: '--socket=PATH'", "x"},
                {"Missing required parameter for option '--socket' (PATH)", "--socket"},
                {"Expected parameter for option '--socket' but found '--bytes'", "--socket", "--bytes", "3", "x"},
                {"Unknown options: '--bogus', '-y'", "--socket", "s", "--bogus", "-y", "x"},
                {"Invalid value for option '--bytes': 'abc' is not an int", "--socket", "s", "--bytes", "abc", "x"},
                {"option '--bytes' (N) should be specified only once", "--socket", "s", "--bytes", "1", "--bytes",
                        "2", "x"},
                {"Invalid value for option '--timeout': '10' needs a unit: ms, s, m or h (e.g. 10s)", "--socket", "s",
                        "--timeout", "10", "x"},
                {"Invalid value for option '--bytes': 'x' is not an int", "--socket", "s", "--bytes", "+5", "--bytes",
                        "x"},
                {"Unknown options: '--Timeout', '-PT1S'", "--socket", "s", "--Timeout", "-PT1S", "x"},
                {"Invalid value for option '--timeout': '-PT1S' is negative", "--socket", "s", "--timeout=-PT1S",
                        "x"}}) {
            ClientMain client = new ClientMain();
            client.options.streams(new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            err.reset();
            String[] args = java.util.Arrays.copyOfRange(line, 1, line.length);
            assertEquals(Options.USAGE, client.options.parse(args), this::err);
            assertEquals(ClientMain.NAME + ": " + line[0] + "\nTry '" + ClientMain.NAME
                    + " --help' for more information.\n", err());
        }
        ClientMain client = new ClientMain();
        assertEquals(Options.RUN, client.options.parse(new String[] {"--socket", "s", "-5", "--bytes", "-1", "x"}));
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
    void helpAndVersionWinOverWhatIsMissing() {
        assertEquals(0, options().parse(new String[] {"--bogus", "-hV"}));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("Usage: prog "));
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
