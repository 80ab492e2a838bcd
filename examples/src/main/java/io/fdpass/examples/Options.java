package io.fdpass.examples;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * A program's command line, GNU style: options with a value ({@code --socket PATH} or {@code --socket=PATH}), flags,
 * options that may be repeated, then parameters ({@code --} ends the options: a parameter may then begin with
 * {@code -}); {@code -h}/{@code --help} and {@code -V}/{@code --version}; the help that lists them; and one-line
 * errors, each followed by a pointer to {@code --help}, with exit status {@value #USAGE}.
 *
 * <p>Declared in code, not found by reflection: the example programs run once per use from a shell, and picocli's
 * reflective model, which they used before, was a large part of their start-up, in classes (of Java 5's class file
 * version) that no AOT cache can keep.
 *
 * <pre>
 * Options cli = new Options("fdpass-example-client", "Asks ...").exitStatus("0", "every name was read");
 * cli.value("--socket", "PATH", "The server's socket.", v -&gt; socket = Path.of(v)).required();
 * cli.flag("--stats", "Print the counters.", () -&gt; stats = true);
 * cli.parameters("NAME", 1, Integer.MAX_VALUE, "Files to ask for.", names::add);
 * int status = cli.parse(args);
 * if (status != Options.RUN) { return status; } // help, version or a usage error, printed
 * </pre>
 */
final class Options {
    /** What {@link #parse} answers when the program is to run. */
    static final int RUN = -1;
    /** Exit status for an invalid command line. */
    static final int USAGE = 2;
    /** Where the help wraps its lines. */
    private static final int WIDTH = 80;
    /** The most the option column of the help takes; a longer option gets its description on the next line. */
    private static final int OPTION_COLUMN = 28;
    /** -h, -V and their clusters, as picocli took them. */
    private static final Pattern HELP_AND_VERSION = Pattern.compile("-[hV]+");
    /** What picocli takes for a number rather than an option: an integer, decimal, octal or hexadecimal. */
    private static final Pattern NUMBER =
            Pattern.compile("[-+]?(0[xX][0-9a-fA-F]+|#[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)");
    private static final Pattern DECIMAL = Pattern.compile("[-+]?(NaN|Infinity|(([0-9]+\\.?[0-9]*|\\.[0-9]+)"
            + "([eE][-+]?[0-9]+)?)|(0[xX]([0-9a-fA-F]+\\.?[0-9a-fA-F]*|\\.[0-9a-fA-F]+)[pP][-+]?[0-9]+))[fFdD]?");

    private final String name;
    private final String[] description;
    private final Map<String, Option> options = new LinkedHashMap<>();
    private final List<String[]> exitStatus = new ArrayList<>();
    private final List<String> commands = new ArrayList<>();
    private Parameters parameters;
    private PrintStream out = System.out;
    private PrintStream err = System.err;

    /**
     * @param name the program, as errors and the help name it
     * @param description the help's paragraphs; one that begins with a space is printed as it is
     */
    Options(String name, String... description) {
        this.name = name;
        this.description = description;
    }

    /** Where the help and the version go (default System.out) and where errors go (default System.err). */
    Options streams(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
        return this;
    }

    String name() {
        return name;
    }

    /** The options' names, in the order the help lists them (but --help and --version). */
    List<String> optionNames() {
        return List.copyOf(options.keySet());
    }

    /**
     * An option that takes a value, once. {@code set} converts and keeps it; an {@link IllegalArgumentException} it
     * throws is reported as an invalid value, with its message.
     */
    Option value(String option, String label, String help, Consumer<String> set) {
        return add(new Option(option, label, help, set));
    }

    /** A flag: an option without a value. */
    Option flag(String option, String help, Runnable set) {
        return add(new Option(option, null, help, v -> set.run()));
    }

    private Option add(Option option) {
        if (!option.name.startsWith("--") || options.putIfAbsent(option.name, option) != null) {
            throw new IllegalArgumentException("option " + option.name);
        }
        return option;
    }

    /** The parameters after the options: at least {@code min}, at most {@code max}, each given to {@code add}. */
    Options parameters(String label, int min, int max, String help, Consumer<String> add) {
        parameters = new Parameters(label, min, max, help, add);
        return this;
    }

    /** A line of the help's list of exit statuses. */
    Options exitStatus(String status, String meaning) {
        exitStatus.add(new String[] {status, meaning});
        return this;
    }

    /** A line of the help's list of commands, for a program whose first argument names one (it dispatches). */
    Options command(String command, String meaning) {
        commands.add(String.format("  %-10s %s", command, meaning));
        return this;
    }

    /**
     * Reads {@code args} into the options' setters, as picocli read them before (the Python client,
     * clients/python, says the same): options anywhere among the parameters, {@code --} ending them; a value that
     * does not convert is said at once, then a missing option or parameter, then unknown options ({@code -} and
     * more, not a number).
     *
     * @return {@link #RUN}; or, having printed what was asked or what is wrong, the exit status: 0 after
     *         {@code --help} or {@code --version}, {@link #USAGE} after an error
     */
    int parse(String[] args) {
        Set<Option> seen = new HashSet<>();
        List<String> positional = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        boolean help = false;
        boolean version = false;
        boolean optionsEnded = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (optionsEnded) {
                positional.add(arg);
                continue;
            }
            if (arg.equals("--")) {
                optionsEnded = true;
                continue;
            }
            if (arg.equals("--help") || arg.equals("--version") || HELP_AND_VERSION.matcher(arg).matches()) {
                help |= arg.equals("--help") || !arg.startsWith("--") && arg.indexOf('h') > 0;
                version |= arg.equals("--version") || !arg.startsWith("--") && arg.indexOf('V') > 0;
                continue;
            }
            int equals = arg.indexOf('=');
            Option option = options.get(arg);
            String value = null;
            if (option == null && equals > 0 && options.get(arg.substring(0, equals)) instanceof Option valued
                    && valued.label != null) {
                option = valued;
                value = arg.substring(equals + 1);
            } else if (option != null && option.label != null) {
                if (i + 1 == args.length) {
                    return usageError("Missing required parameter for option '" + arg + "' (" + option.label + ")");
                }
                if (isOption(args[i + 1])) {
                    return usageError("Expected parameter for option '" + arg + "' but found '" + args[i + 1] + "'");
                }
                value = args[++i];
            }
            if (option == null) {
                (resemblesOption(arg) ? unknown : positional).add(arg);
                continue;
            }
            try {
                if (option.split == null || value == null) {
                    option.set.accept(value);
                } else {
                    for (String part : value.split(option.split, -1)) {
                        option.set.accept(part);
                    }
                }
            } catch (IllegalArgumentException e) {
                return usageError("Invalid value for option '" + option.name + "': " + e.getMessage());
            }
            if (!seen.add(option) && !option.repeatable) {
                return usageError("option '" + option.name + "'" + (option.label == null ? "" : " (" + option.label
                        + ")") + " should be specified only once");
            }
        }
        if (help) {
            printHelp();
            return 0;
        }
        if (version) {
            Cli.version(name).forEach(out::println);
            out.flush();
            return 0;
        }
        List<String> missing = new ArrayList<>();
        for (Option option : options.values()) {
            if (option.required && !seen.contains(option)) {
                missing.add("'" + option.synopsis() + "'");
            }
        }
        boolean noParameter = parameters != null && positional.size() < parameters.min;
        if (!missing.isEmpty() && noParameter) {
            missing.add("'" + parameters.label + "'");
            return usageError("Missing required options and parameters: " + String.join(", ", missing));
        }
        if (!missing.isEmpty()) {
            return usageError("Missing required option" + (missing.size() == 1 ? ": " : "s: ")
                    + String.join(", ", missing));
        }
        if (noParameter) {
            return usageError("Missing required parameter: '" + parameters.label + "'");
        }
        if (!unknown.isEmpty()) {
            return usageError("Unknown option" + (unknown.size() == 1 ? ": '" : "s: '") + String.join("', '", unknown)
                    + "'");
        }
        int max = parameters == null ? 0 : parameters.max;
        if (positional.size() > max) {
            return usageError(max == 0 ? "Unexpected parameter: '" + positional.get(0) + "'"
                    : "Too many " + parameters.label + " parameters: " + positional.size() + " (expected: <= "
                    + max + ")");
        }
        try {
            positional.forEach(parameters == null ? p -> { } : parameters.add);
        } catch (IllegalArgumentException e) {
            return usageError("Invalid value for parameter '" + parameters.label + "': " + e.getMessage());
        }
        return RUN;
    }

    /** An option's name, or one with its value after '=', or help and version: what a value may not be. */
    private boolean isOption(String arg) {
        int equals = arg.indexOf('=');
        return options.containsKey(arg) || HELP_AND_VERSION.matcher(arg).matches() || arg.equals("--help")
                || arg.equals("--version") || equals > 0 && options.containsKey(arg.substring(0, equals));
    }

    /** picocli's test for an unknown option: it begins with '-', is more than '-', and is not a number. */
    private static boolean resemblesOption(String arg) {
        return arg.startsWith("-") && !arg.equals("-") && !NUMBER.matcher(arg).matches()
                && !DECIMAL.matcher(arg.strip()).matches();
    }

    /** Prints {@code message} as a usage error, with the pointer to the help; answers {@link #USAGE}. */
    int usageError(String message) {
        err.println(name + ": " + message);
        err.println("Try '" + name + " --help' for more information.");
        return USAGE;
    }

    /**
     * Runs the program: what it answers, or 1 after printing what escaped it in one line (the message, see
     * {@link Cli#describe}), never a stack trace.
     */
    int run(Callable<Integer> program) {
        try {
            return program.call();
        } catch (Exception e) {
            err.println(name + ": " + Cli.describe(e));
            return 1;
        }
    }

    void printHelp() {
        StringBuilder help = new StringBuilder("Usage: ").append(name).append(" [OPTION]...");
        for (Option option : options.values()) {
            if (option.required) {
                help.append(' ').append(option.synopsis());
            }
        }
        if (parameters != null) {
            help.append(' ').append(parameters.min == 0 ? "[" + parameters.label + "]" : parameters.label)
                    .append(parameters.max > 1 ? "..." : "");
        }
        help.append('\n');
        for (String paragraph : description) {
            wrap(help, paragraph, 0, 0);
        }
        if (!commands.isEmpty()) {
            help.append("\nCommands:\n");
            commands.forEach(line -> help.append(line).append('\n'));
        }
        help.append('\n');
        if (parameters != null) {
            row(help, "  " + parameters.label + (parameters.max > 1 ? "..." : ""), parameters.help);
        }
        for (Option option : options.values()) {
            row(help, "      " + option.synopsis(), option.help);
        }
        row(help, "  -h, --help", "Show this help and exit.");
        row(help, "  -V, --version", "Print the version and exit.");
        if (!exitStatus.isEmpty()) {
            help.append("\nExit status:\n");
            for (String[] status : exitStatus) {
                wrap(help, String.format("  %-4s%s", status[0], status[1]), 0, 6);
            }
        }
        out.print(help);
        out.flush();
    }

    /** One option of the help: its synopsis, then its description in a column of its own. */
    private static void row(StringBuilder help, String synopsis, String text) {
        help.append(synopsis);
        if (synopsis.length() + 2 > OPTION_COLUMN) {
            help.append('\n').append(" ".repeat(OPTION_COLUMN));
        } else {
            help.append(" ".repeat(OPTION_COLUMN - synopsis.length()));
        }
        wrap(help, text, OPTION_COLUMN, OPTION_COLUMN);
    }

    /**
     * Appends {@code text} wrapped at {@link #WIDTH}; the first line already has {@code first} columns, the
     * following ones are indented by {@code indent}. A text that begins with a space is appended as it is.
     */
    private static void wrap(StringBuilder help, String text, int first, int indent) {
        if (text.startsWith(" ")) {
            help.append(text).append('\n');
            return;
        }
        int column = first;
        boolean lineStart = true;
        for (String word : text.split(" ")) {
            if (!lineStart && column + 1 + word.length() > WIDTH) {
                help.append('\n').append(" ".repeat(indent));
                column = indent;
                lineStart = true;
            }
            if (!lineStart) {
                help.append(' ');
                column++;
            }
            help.append(word);
            column += word.length();
            lineStart = false;
        }
        help.append('\n');
    }

    /** An option as declared; {@link #required()}, {@link #repeatable()} and {@link #split(String)} refine it. */
    static final class Option {
        private final String name;
        /** Null for a flag. */
        private final String label;
        private final String help;
        private final Consumer<String> set;
        private boolean required;
        private boolean repeatable;
        /** Where a value is split into several (a regular expression), or null. */
        private String split;

        private Option(String name, String label, String help, Consumer<String> set) {
            this.name = name;
            this.label = label;
            this.help = help;
            this.set = set;
        }

        /** The command line is invalid without it. */
        Option required() {
            required = true;
            return this;
        }

        /** It may be given more than once. */
        Option repeatable() {
            repeatable = true;
            return this;
        }

        /** Its value is several, separated by {@code separator} (a regular expression), each set on its own. */
        Option split(String separator) {
            split = separator;
            return this;
        }

        private String synopsis() {
            return label == null ? name : name + "=" + label;
        }
    }

    private record Parameters(String label, int min, int max, String help, Consumer<String> add) {
    }
}
