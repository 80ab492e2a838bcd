package io.fdpass.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The code a user copies compiles against the library as it is: every {@code java} block of the README, and every
 * {@code <pre>{@code ...}</pre>} example in the Javadoc of the exported packages and its overview page.
 */
class DocSnippetsTest {
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final String JAVA = ProcessHandle.current().info().command().orElseThrow();
    /** What a Javadoc example may use without importing it. */
    private static final String JAVADOC_IMPORTS = """
            import io.fdpass.*;
            import io.fdpass.client.*;
            import io.fdpass.confinement.*;
            import io.fdpass.server.*;
            import io.netty.bootstrap.ServerBootstrap;
            import io.netty.channel.EventLoopGroup;
            import io.netty.channel.epoll.EpollServerDomainSocketChannel;
            import io.netty.channel.unix.DomainSocketAddress;
            import java.nio.file.Path;
            import java.time.Duration;
            """;

    @TempDir
    Path out;

    /**
     * The README's classes compile on the class path, and with its {@code module-info.java} as a module that has
     * fdpass and Netty on its module path.
     */
    @Test
    void theReadmesJavaBlocksCompile() throws IOException {
        String readme = Files.readString(REPO.resolve("README.md"));
        List<JavaFileObject> classes = new ArrayList<>();
        JavaFileObject moduleInfo = null;
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        while (block.find()) {
            String code = block.group(1);
            if (code.matches("(?s)\\s*module \\w+ \\{.*")) {
                assertEquals(null, moduleInfo, "a second module-info.java in the README");
                moduleInfo = source("module-info", code);
                continue;
            }
            Matcher name = Pattern.compile("public (?:final )?class (\\w+)").matcher(code);
            assertTrue(name.find(), () -> "a README block that is neither a class nor a module-info.java:\n" + code);
            Matcher pkg = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE).matcher(code);
            classes.add(source((pkg.find() ? pkg.group(1).replace('.', '/') + "/" : "") + name.group(1), code));
        }
        assertTrue(classes.size() >= 2, "the README's embedding examples: " + classes.size());
        compile(classes, List.of("-d", out.toString(), "-classpath", System.getProperty("java.class.path")));

        assertNotNull(moduleInfo, "the README's module-info.java");
        List<JavaFileObject> module = new ArrayList<>(classes);
        module.add(moduleInfo);
        compile(module, List.of("-d", out.resolve("module").toString(), "--module-path", fdpassAndNetty()));
    }

    /** fdpass's and Netty's jars (or core's classes) from the test's class path: what the README gathers. */
    private static String fdpassAndNetty() {
        List<String> path = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            String name = p.getFileName().toString();
            boolean fdpass = Files.isRegularFile(p.resolve("module-info.class")) && entry.contains("core")
                    || name.startsWith("fdpass-core-") && !name.contains("-tests");
            if (fdpass || name.startsWith("netty-") && name.endsWith(".jar")) {
                path.add(entry);
            }
        }
        return String.join(File.pathSeparator, path);
    }

    /** The README's server and client, as a user would paste them into two files and run them. */
    @Test
    void theReadmesServerAndClientRunAgainstEachOther() throws Exception {
        theReadmesJavaBlocksCompile();
        Path root = Files.createDirectories(out.resolve("root/private"));
        Files.writeString(out.resolve("root/courses.txt"), "Course1\nCourse2\n");
        Files.writeString(out.resolve("root/private/grades.txt"), "A\n");
        Path socket = out.resolve("files.sock");
        Process server = java("app.FileBroker", socket.toString(), out.resolve("root").toString()).start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!Files.exists(socket) && server.isAlive() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(Files.exists(socket), "the README's server did not start");

            Process ok = java("app.Reader", socket.toString(), "courses.txt").start();
            assertTrue(ok.waitFor(30, TimeUnit.SECONDS));
            assertEquals("courses.txt: 16 bytes\n", new String(ok.getInputStream().readAllBytes()));
            assertEquals(0, ok.exitValue());

            Process refused = java("app.Reader", socket.toString(), "courses.txt", "private/grades.txt", "missing.txt")
                    .start();
            assertTrue(refused.waitFor(30, TimeUnit.SECONDS));
            assertEquals("courses.txt: 16 bytes\n", new String(refused.getInputStream().readAllBytes()));
            assertEquals("private/grades.txt: PERMISSION_DENIED\nmissing.txt: NOT_FOUND\n",
                    new String(refused.getErrorStream().readAllBytes()));
            assertEquals(1, refused.exitValue(), "a name not served makes the exit status 1");
        } finally {
            server.destroy(); // SIGTERM: its shutdown hook closes it gracefully
            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "the README's server did not stop");
        }
        assertTrue(Files.notExists(socket), "the README's server left its socket behind");
    }

    private ProcessBuilder java(String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(JAVA, "--enable-native-access=ALL-UNNAMED", "-cp",
                out + File.pathSeparator + System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    }

    @Test
    void theJavadocExamplesCompile() throws IOException {
        List<JavaFileObject> units = new ArrayList<>();
        Pattern example = Pattern.compile("<pre>\\{@code\\n(.*?)\\n \\* }</pre>", Pattern.DOTALL);
        try (var files = Files.walk(REPO.resolve("core/src/main/java/io/fdpass"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                Matcher m = example.matcher(Files.readString(file));
                for (int i = 0; m.find(); i++) {
                    String body = m.group(1).replaceAll("(?m)^ \\* ?", "");
                    String name = "Example" + units.size();
                    units.add(source(name, JAVADOC_IMPORTS + "class " + name
                            + " {\n    static void example(EventLoopGroup group) throws Exception {\n" + body
                            + "\n    }\n}\n"));
                }
            }
        }
        // The overview page, the landing page of the Javadoc: its examples are not in a comment.
        Matcher m = Pattern.compile("<pre>\\{@code\\n(.*?)\\n}</pre>", Pattern.DOTALL)
                .matcher(Files.readString(REPO.resolve("core/src/main/javadoc/overview.html")));
        int overview = 0;
        for (; m.find(); overview++) {
            String name = "Example" + units.size();
            units.add(source(name, JAVADOC_IMPORTS + "class " + name
                    + " {\n    static void example(EventLoopGroup group) throws Exception {\n" + m.group(1)
                    + "\n    }\n}\n"));
        }
        assertEquals(2, overview, "the overview's examples: a server and a client");
        assertTrue(units.size() >= 5, "Javadoc examples found: " + units.size());
        compile(units, List.of("-d", out.toString(), "-classpath", System.getProperty("java.class.path")));
    }

    private static void compile(List<JavaFileObject> units, List<String> options) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        options = new ArrayList<>(options);
        options.add("-proc:none");
        boolean ok = javac.getTask(null, null, diagnostics, options, null, units).call();
        assertEquals(List.of(), diagnostics.getDiagnostics().stream().map(Object::toString).toList());
        assertTrue(ok);
    }

    private static JavaFileObject source(String className, String code) {
        return new SimpleJavaFileObject(URI.create("string:///" + className + ".java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return code;
            }
        };
    }
}
