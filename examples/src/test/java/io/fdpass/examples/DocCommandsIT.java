package io.fdpass.examples;

import io.fdpass.confinement.Confinement;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every shell command of README.md, the other pages at the repository's root and docs/*.md runs as written, and
 * prints what the page shows. The blocks of one page run in order in one {@code bash}, from the repository's root,
 * as a reader pasting them into one terminal would; the conventions a page follows are in docs/ARCHITECTURE.md,
 * "Commands in the docs":
 *
 * <ul>
 *   <li>{@code ```sh} fences a command block; a {@code ```text} block right after it is what it prints (stdout and
 *       stderr as a terminal shows them), where {@code ...} in a line stands for any text and a line that is only
 *       {@code ...} for any number of lines. Without one, the block must print nothing.</li>
 *   <li>{@code <!-- doc-test: OPTIONS -->} on the line before a block: {@code root}, {@code nobody} (runs something
 *       as user nobody: root, setpriv, and a repository others can read), {@code needs=CMD,...} (on the PATH, or
 *       {@code landlock}), {@code exit=N}, {@code timeout=SECONDS}, {@code output=any}, {@code skip=REASON}; and
 *       before a {@code java} block, {@code file=PATH}: the reader saves it there, and so does this test (removing
 *       it after the page).</li>
 * </ul>
 *
 * <p>The shell gets the reader's environment, not the build's: no JAVA_HOME, no JDK 25 on the PATH (the pages must
 * find it as {@code ./mvnw} does), and a TMPDIR of the test's own. {@code FDPASS_BUILD=never}: the launchers run
 * the jars this build made rather than build them again inside it. A page must leave nothing running.
 */
@Execution(ExecutionMode.SAME_THREAD)
class DocCommandsIT {
    private static final Path REPO = Path.of(System.getProperty("fdpass.examples.dir", "."))
            .toAbsolutePath().normalize().getParent();
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    /** The fences a checked page may use. */
    private static final Set<String> LANGUAGES = Set.of("sh", "text", "java", "xml", "ini", "python", "json");
    private static final Pattern DIRECTIVE = Pattern.compile("<!-- doc-test: (.*) -->");
    /** A command outside a fence: an indented line that starts the way the pages' commands do. */
    private static final Pattern UNFENCED_COMMAND = Pattern.compile(
            "^ {4,}(\\./mvnw|bin/|scripts/|examples/|java |jcmd |jfr |mount |sudo |systemctl |for t in )");

    @TestFactory
    Stream<DynamicNode> everyPagesCommandsRunAsWritten() throws IOException {
        List<Path> pages = new ArrayList<>();
        try (Stream<Path> top = Files.list(REPO); Stream<Path> docs = Files.list(REPO.resolve("docs"))) {
            Stream.concat(top, docs).filter(p -> p.toString().endsWith(".md")).sorted(Comparator
                    .comparing((Path p) -> !p.getFileName().toString().equals("README.md"))
                    .thenComparing(Path::toString)).forEach(pages::add);
        }
        assertTrue(pages.contains(REPO.resolve("README.md")), () -> "no README.md in " + REPO);
        return pages.stream().map(this::page);
    }

    private DynamicNode page(Path file) {
        String name = REPO.relativize(file).toString();
        List<Block> blocks;
        try {
            blocks = Block.parse(name, Files.readAllLines(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (AssertionError e) {
            return DynamicTest.dynamicTest(name + ": follows the conventions", () -> {
                throw e;
            });
        }
        List<Block> commands = blocks.stream().filter(b -> b.language.equals("sh")).toList();
        if (commands.isEmpty()) {
            return DynamicTest.dynamicTest(name + ": no commands", () -> { });
        }
        Session session = new Session(name, blocks);
        List<DynamicNode> tests = new ArrayList<>();
        for (Block block : commands) {
            tests.add(DynamicTest.dynamicTest(block.title(), () -> session.run(block)));
        }
        tests.add(DynamicTest.dynamicTest(name + ": leaves nothing running", session::close));
        return DynamicContainer.dynamicContainer(name, tests);
    }

    /** A fenced block of a page, with the directive before it and, for a command block, the output after it. */
    record Block(String page, int line, String language, String text, Map<String, String> options, String output) {
        static List<Block> parse(String page, List<String> lines) {
            List<Block> blocks = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (UNFENCED_COMMAND.matcher(line).find() && !insideFence(lines, i)) {
                    fail(page + ":" + (i + 1) + ": a command outside a fenced sh block: " + line.strip());
                }
                if (!line.startsWith("```")) {
                    continue;
                }
                String language = line.substring(3).strip();
                assertTrue(LANGUAGES.contains(language), page + ":" + (i + 1) + ": a fence without a known language ("
                        + LANGUAGES + "): " + line);
                int end = closing(page, lines, i);
                String text = String.join("\n", lines.subList(i + 1, end)) + "\n";
                Map<String, String> options = i > 0 ? options(page, i, lines.get(i - 1)) : Map.of();
                String output = null;
                int next = end + 1;
                if (language.equals("sh") && next < lines.size() && lines.get(next).equals("```text")) {
                    int outputEnd = closing(page, lines, next);
                    output = String.join("\n", lines.subList(next + 1, outputEnd)) + "\n";
                    next = outputEnd + 1;
                }
                blocks.add(new Block(page, i + 1, language, text, options, output));
                i = next - 1;
            }
            return blocks;
        }

        private static boolean insideFence(List<String> lines, int index) {
            boolean inside = false;
            for (int i = 0; i < index; i++) {
                inside ^= lines.get(i).startsWith("```");
            }
            return inside;
        }

        private static int closing(String page, List<String> lines, int open) {
            for (int i = open + 1; i < lines.size(); i++) {
                if (lines.get(i).equals("```")) {
                    return i;
                }
            }
            throw new AssertionError(page + ":" + (open + 1) + ": a fence that is not closed");
        }

        private static Map<String, String> options(String page, int fence, String line) {
            Matcher m = DIRECTIVE.matcher(line);
            if (!m.matches()) {
                return Map.of();
            }
            Map<String, String> options = new LinkedHashMap<>();
            String rest = m.group(1).strip();
            // skip=REASON takes the rest of the line: a reason has blanks.
            int skip = rest.indexOf("skip=");
            if (skip >= 0) {
                options.put("skip", rest.substring(skip + 5).strip());
                rest = rest.substring(0, skip);
            }
            for (String option : rest.split("\\s+")) {
                if (option.isEmpty()) {
                    continue;
                }
                int eq = option.indexOf('=');
                String key = eq < 0 ? option : option.substring(0, eq);
                assertTrue(Set.of("root", "nobody", "needs", "exit", "timeout", "output", "file").contains(key),
                        page + ":" + fence + ": unknown doc-test option " + option);
                options.put(key, eq < 0 ? "" : option.substring(eq + 1));
            }
            return options;
        }

        String title() {
            String first = text.lines().filter(l -> !l.isBlank()).findFirst().orElse("").strip();
            return page + ":" + line + ": " + (first.length() > 60 ? first.substring(0, 60) + "..." : first);
        }

        Duration timeout() {
            return options.containsKey("timeout") ? Duration.ofSeconds(Long.parseLong(options.get("timeout")))
                    : DEFAULT_TIMEOUT;
        }
    }

    /** One page's shell: a bash reading each block from a file of its own, as one terminal would run them. */
    static final class Session {
        private final String page;
        private final List<Block> blocks;
        private final Path dir;
        private final List<Path> saved = new ArrayList<>();
        private final StringBuilder output = new StringBuilder();
        private Process bash;
        /** Why the shell was stopped before the page's end, if it was. */
        private String stopped;
        private int next;

        Session(String page, List<Block> blocks) {
            this.page = page;
            this.blocks = blocks;
            try {
                this.dir = Files.createTempDirectory("fdpass-doc-");
                // The pages' temporary directories go here, where user nobody (the privilege separation demo) may
                // look, and whatever a page leaves behind goes with it.
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void run(Block block) throws Exception {
            String skip = whyNot(block);
            assumeTrue(skip == null, skip);
            if (stopped != null) {
                fail(block.title() + ": not run, the page's shell was stopped: " + stopped);
            }
            start();
            saveFilesBefore(block);
            Path script = dir.resolve("block-" + block.line + ".sh");
            Files.writeString(script, block.text);
            String marker = "<<<doc-test " + block.line + " " + ProcessHandle.current().pid() + ">>>";
            String command = ". " + script + " </dev/null\nprintf '\\n%s %d\\n' '" + marker + "' $?\n";
            bash.getOutputStream().write(command.getBytes(StandardCharsets.UTF_8));
            bash.getOutputStream().flush();
            String printed;
            int status;
            long deadline = System.nanoTime() + block.timeout().toNanos();
            synchronized (output) {
                int at;
                while ((at = output.indexOf(marker)) < 0) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0 || !bash.isAlive()) {
                        stopped = block.title() + (bash.isAlive() ? " did not end within " + block.timeout()
                                : " ended the shell");
                        String soFar = output.toString();
                        stop();
                        fail(stopped + "; its output so far:\n" + soFar);
                    }
                    output.wait(Math.min(left, 1000));
                }
                int eol = output.indexOf("\n", at);
                while (eol < 0) {
                    output.wait(1000);
                    eol = output.indexOf("\n", at);
                }
                // The marker's printf begins with a newline of its own.
                printed = output.substring(0, Math.max(0, at - 1));
                status = Integer.parseInt(output.substring(at + marker.length(), eol).strip());
                output.delete(0, eol + 1);
            }
            String expectedStatus = block.options.getOrDefault("exit", "0");
            String shown = block.output == null ? "" : block.output;
            String report = block.title() + "\n--- the page shows (" + (block.output == null ? "nothing" : "its "
                    + "text block") + ")\n" + shown + "--- it printed (exit status " + status + ")\n" + printed
                    + (printed.isEmpty() || printed.endsWith("\n") ? "" : "\n") + "---";
            assertEquals(expectedStatus, Integer.toString(status), () -> "exit status\n" + report);
            if (!block.options.getOrDefault("output", "").equals("any")) {
                assertTrue(Output.matches(shown, printed), () -> "output\n" + report);
            }
        }

        /** Why a block cannot run here, or null. */
        private String whyNot(Block block) throws IOException {
            if (block.options.containsKey("skip")) {
                return block.title() + ": not run by this test: " + block.options.get("skip");
            }
            boolean root = isRoot();
            if ((block.options.containsKey("root") || block.options.containsKey("nobody")) && !root) {
                return block.title() + ": needs root (runs as uid " + uid() + ")";
            }
            if (block.options.containsKey("nobody")) {
                if (onPath("setpriv") == null) {
                    return block.title() + ": needs setpriv (util-linux) to run as nobody";
                }
                for (Path p = REPO; p != null; p = p.getParent()) {
                    if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                        return block.title() + ": user nobody cannot reach the repository (" + p + " is not o+x)";
                    }
                }
            }
            for (String need : block.options.getOrDefault("needs", "").split(",")) {
                if (need.equals("landlock")) {
                    if (!Confinement.isSupported()) {
                        return block.title() + ": needs Landlock (Linux 5.13+, enabled)";
                    }
                } else if (!need.isEmpty() && onPath(need) == null) {
                    return block.title() + ": needs " + need + " on the PATH";
                }
            }
            return null;
        }

        /** The java blocks before {@code block} that the page says to save: saved, as the reader did. */
        private void saveFilesBefore(Block block) throws IOException {
            while (next < blocks.size() && blocks.get(next).line < block.line) {
                Block earlier = blocks.get(next++);
                String file = earlier.options.get("file");
                if (file != null) {
                    Path path = REPO.resolve(file).normalize();
                    assertTrue(path.startsWith(REPO), file);
                    for (Path p = path; !Files.exists(p) && !p.equals(REPO); p = p.getParent()) {
                        saved.add(p);
                    }
                    Files.createDirectories(path.getParent());
                    Files.writeString(path, earlier.text);
                }
            }
        }

        private void start() throws IOException {
            if (bash != null) {
                return;
            }
            ProcessBuilder pb = new ProcessBuilder("bash", "--noprofile", "--norc").directory(REPO.toFile())
                    .redirectErrorStream(true);
            readersEnvironment(pb.environment(), dir);
            bash = pb.start();
            Thread.ofPlatform().daemon().name("doc-test " + page).start(() -> {
                byte[] buffer = new byte[8192];
                try (InputStream in = bash.getInputStream()) {
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        synchronized (output) {
                            output.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                            output.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // The shell is gone.
                }
                synchronized (output) {
                    output.notifyAll();
                }
            });
        }

        /**
         * The page ran to its end and left nothing running: its shell has no children. Then the shell exits, what
         * this test saved for the page is removed, and so is its TMPDIR; whatever was still running is killed.
         */
        void close() throws IOException, InterruptedException {
            List<String> left = stop();
            assertEquals(List.of(), left, page + " left processes running");
        }

        /** Ends the shell, killing what still runs under it, and removes what the page made; returns what ran. */
        private List<String> stop() throws IOException, InterruptedException {
            List<String> left = List.of();
            if (bash != null && bash.isAlive()) {
                left = bash.descendants().filter(ProcessHandle::isAlive)
                        .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList();
                bash.descendants().forEach(ProcessHandle::destroyForcibly);
                bash.getOutputStream().close();
                if (!bash.waitFor(30, TimeUnit.SECONDS)) {
                    bash.destroyForcibly().waitFor();
                }
            }
            for (Path p : saved.reversed()) {
                deleteTree(p);
            }
            saved.clear();
            deleteTree(dir);
            return left;
        }

        private static void deleteTree(Path root) throws IOException {
            if (!Files.exists(root)) {
                return;
            }
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * The environment a reader's terminal has, from the build's: the build's own JDK 25 (./mvnw put it on the PATH
     * and in JAVA_HOME) removed, the rest kept; a TMPDIR of the test's; the launchers told not to build.
     */
    static void readersEnvironment(Map<String, String> env, Path tmp) {
        String jdk = Path.of(System.getProperty("java.home")).toAbsolutePath().normalize().toString();
        env.remove("JAVA_HOME");
        env.remove("MAVEN_PROJECTBASEDIR");
        env.remove("MAVEN_CMD_LINE_ARGS");
        String path = Arrays.stream(env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin").split(File.pathSeparator))
                .filter(d -> !d.isEmpty() && !Path.of(d).toAbsolutePath().normalize().startsWith(jdk))
                .collect(Collectors.joining(File.pathSeparator));
        env.put("PATH", path);
        env.put("TMPDIR", tmp.toString());
        env.put("FDPASS_BUILD", "never");
        // Messages in English, as the pages show them.
        env.put("LC_ALL", "C.UTF-8");
        // A page's ./mvnw uses this build's local repository, wherever it is.
        String repository = System.getProperty("fdpass.examples.localRepository", "");
        if (!repository.isEmpty() && !repository.startsWith("${")) {
            env.put("MAVEN_ARGS", "-Dmaven.repo.local=" + repository);
        }
    }

    /** What a page shows against what a block printed. */
    static final class Output {
        private Output() {
        }

        /** Whether {@code printed} is what {@code shown} shows, line by line, with its {@code ...}. */
        static boolean matches(String shown, String printed) {
            List<String> want = lines(shown);
            List<String> got = lines(printed);
            Map<Long, Boolean> memo = new HashMap<>();
            return matches(want, 0, got, 0, memo);
        }

        private static boolean matches(List<String> want, int w, List<String> got, int g, Map<Long, Boolean> memo) {
            long key = (long) w << 32 | g;
            Boolean known = memo.get(key);
            if (known != null) {
                return known;
            }
            boolean result;
            if (w == want.size()) {
                result = g == got.size();
            } else if (want.get(w).equals("...")) {
                result = matches(want, w + 1, got, g, memo) || g < got.size() && matches(want, w, got, g + 1, memo);
            } else {
                result = g < got.size() && line(want.get(w)).matcher(got.get(g)).matches()
                        && matches(want, w + 1, got, g + 1, memo);
            }
            memo.put(key, result);
            return result;
        }

        /** Text as printed: its lines, a blank one kept, and no line after the last newline. */
        private static List<String> lines(String text) {
            if (text.isEmpty()) {
                return List.of();
            }
            String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
            return List.of(body.split("\n", -1));
        }

        static Pattern line(String shown) {
            return Pattern.compile(Arrays.stream(shown.split("\\.\\.\\.", -1)).map(Pattern::quote)
                    .collect(Collectors.joining(".*")));
        }
    }

    static boolean isRoot() throws IOException {
        return uid() == 0;
    }

    static int uid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    static Path onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(d.isEmpty() ? "." : d, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return Stream.of("/usr/bin", "/bin", "/usr/sbin", "/sbin").map(d -> Path.of(d, program))
                .filter(Files::isExecutable).findFirst().orElse(null);
    }

}
