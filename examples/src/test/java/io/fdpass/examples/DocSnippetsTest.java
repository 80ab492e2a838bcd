package io.fdpass.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The code a user copies compiles against the library as it is: every {@code java} block of the README, and every
 * {@code <pre>{@code ...}</pre>} example in the Javadoc of the exported packages.
 */
class DocSnippetsTest {
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    /** What a Javadoc example may use without importing it. */
    private static final String JAVADOC_IMPORTS = """
            import io.fdpass.*;
            import io.netty.bootstrap.ServerBootstrap;
            import io.netty.channel.EventLoopGroup;
            import io.netty.channel.epoll.EpollServerDomainSocketChannel;
            import io.netty.channel.unix.DomainSocketAddress;
            import java.nio.file.Path;
            """;

    @TempDir
    Path out;

    @Test
    void theReadmesJavaBlocksCompile() throws IOException {
        String readme = Files.readString(REPO.resolve("README.md"));
        List<JavaFileObject> units = new ArrayList<>();
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        while (block.find()) {
            String code = block.group(1);
            Matcher name = Pattern.compile("public (?:final )?class (\\w+)").matcher(code);
            assertTrue(name.find(), () -> "a README block that is not a class:\n" + code);
            units.add(source(name.group(1), code));
        }
        assertTrue(units.size() >= 2, "the README's embedding examples: " + units.size());
        compile(units);
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
        assertTrue(units.size() >= 3, "Javadoc examples found: " + units.size());
        compile(units);
    }

    private void compile(List<JavaFileObject> units) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<String> options = List.of("-d", out.toString(), "-proc:none", "-classpath",
                System.getProperty("java.class.path"));
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
