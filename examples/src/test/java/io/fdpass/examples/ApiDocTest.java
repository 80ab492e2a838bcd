package io.fdpass.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.ToolProvider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every public and protected class, method, constructor and field of the library's exported packages has a comment
 * that says what it is: doclint's "missing" check (as {@code javadoc -Xdoclint:missing} runs it), over the sources of
 * every module of the repository, for its exported packages. Tags ({@code @param}, {@code @return}) are not required
 * where the sentence says it.
 */
class ApiDocTest {
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final Pattern MODULE = Pattern.compile("^module ([\\w.]+)", Pattern.MULTILINE);
    private static final Pattern EXPORTS = Pattern.compile("^\\s*exports ([\\w.]+);", Pattern.MULTILINE);

    @TempDir
    Path out;

    @Test
    void everyPublicMemberOfTheApiIsDocumented() throws IOException {
        List<String> options = new ArrayList<>(List.of("-d", out.toString(), "-proc:none", "-implicit:none",
                "-Xlint:none", "-Xmaxwarns", "100000", "-Xdoclint:missing/protected"));
        List<String> modules = new ArrayList<>();
        List<String> exported = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(REPO)) {
            for (Path dir : dirs.sorted().toList()) {
                Path moduleInfo = dir.resolve("src/main/java/module-info.java");
                if (!Files.isRegularFile(moduleInfo)) {
                    continue;
                }
                String text = Files.readString(moduleInfo);
                Matcher name = MODULE.matcher(text);
                assertTrue(name.find(), moduleInfo::toString);
                modules.add(name.group(1));
                options.addAll(List.of("--module-source-path", name.group(1) + "=" + moduleInfo.getParent()));
                EXPORTS.matcher(text).results().forEach(m -> exported.add(m.group(1)));
            }
        }
        assertTrue(modules.contains("io.fdpass"), modules::toString);
        options.add("-Xdoclint/package:" + String.join(",", exported));
        options.addAll(List.of("--module-path", nettyJars(), "--module", String.join(",", modules)));

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        boolean compiled = javac.getTask(null, null, diagnostics, options, null, null).call();
        List<String> errors = diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                .map(Object::toString).toList();
        assertEquals(List.of(), errors, "the library's sources do not compile here");
        assertTrue(compiled);
        List<String> undocumented = diagnostics.getDiagnostics().stream()
                .filter(d -> d.getKind() == Diagnostic.Kind.WARNING)
                .filter(d -> List.of("no comment", "no main description").contains(d.getMessage(Locale.ROOT)))
                .map(d -> REPO.relativize(Path.of(d.getSource().toUri())) + ":" + d.getLineNumber() + ": "
                        + d.getMessage(Locale.ROOT))
                .sorted().toList();
        if (!undocumented.isEmpty()) {
            fail(undocumented.size() + " public members of " + exported + " without a comment:\n"
                    + String.join("\n", undocumented));
        }
        assertFalse(exported.isEmpty());
    }

    /** Netty's jars from the test's class path: what the library modules require. */
    private static String nettyJars() {
        List<String> jars = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (Path.of(entry).getFileName().toString().startsWith("netty-") && entry.endsWith(".jar")) {
                jars.add(entry);
            }
        }
        return String.join(File.pathSeparator, jars);
    }
}
