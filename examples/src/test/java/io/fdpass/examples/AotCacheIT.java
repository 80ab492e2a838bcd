package io.fdpass.examples;

import io.fdpass.examples.Jars.Result;
import io.fdpass.examples.Jars.Server;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The AOT caches that the build trains beside the example jars (bin/lib/aot.sh): the launcher starts the client with
 * its cache where the cache fits, and where it does not (made for an older jar, or by another JDK) runs the client
 * without it, with the same output and not a word on stderr. What the JVM did with a cache, it says in a log file of
 * the test's (-Xlog:aot=info:file=...), which leaves the program's output alone.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AotCacheIT {
    private static final Path REPO = Path.of(System.getProperty("fdpass.examples.dir", ".")).toAbsolutePath()
            .getParent();
    private static final List<String> NAMES = List.of("courses.txt", "campusinfo.txt", "contacts.txt");
    private static final List<String> OUTPUT = List.of(
            "reply: 3 names, 3 OK, 0 failed",
            "courses.txt OK 16 bytes: Course1\\nCourse2\\n",
            "campusinfo.txt OK 15 bytes: Campus1\\nCampus2",
            "contacts.txt OK 9 bytes: Contacts\\n");

    @TempDir
    Path dir;
    private Path root;

    @BeforeEach
    void files() throws IOException {
        Jars.assertBuilt();
        root = Files.createDirectory(dir.resolve("root"));
        Files.writeString(root.resolve("courses.txt"), "Course1\nCourse2\n");
        Files.writeString(root.resolve("campusinfo.txt"), "Campus1\nCampus2");
        Files.writeString(root.resolve("contacts.txt"), "Contacts\n");
    }

    /** The cache the build trained, as the repository's launcher finds it: used. */
    @Test
    void theLauncherUsesTheCacheTheBuildTrained() throws Exception {
        assumeFalse(Boolean.getBoolean("fdpass.examples.aotSkip"), "built with -Dfdpass.aot.skip=true: no cache");
        Path cache = REPO.resolve("examples/target/fdpass-example-client.aot");
        assertTrue(Files.isRegularFile(cache), cache + " missing: the build trains it in `package` (its log: "
                + "examples/target/aot-training.log)");
        Path log = dir.resolve("aot.log");
        Result client = launch(REPO, log);
        assertClientAsWithout(client);
        String aot = Files.readString(log);
        assertTrue(aot.contains(cache.toString()) && aot.contains("Using AOT-linked classes: true"), aot);
    }

    /**
     * The jar rebuilt after its cache was trained (here: one entry more, so another size and time; the classes are
     * the same): the launcher leaves the cache out, as JDK 25.0.3 itself would not (JDK-8377932).
     */
    @Test
    void aCacheMadeForAnOlderJarIsIgnoredWithoutAWord() throws Exception {
        Path repo = launcherCopy();
        Path jar = repo.resolve("examples/target/fdpass-example-client.jar");
        trainedFor(jar, REPO.resolve("examples/target/fdpass-example-client.aot"));
        Path older = dir.resolve("older.jar");
        Files.move(jar, older);
        rebuild(older, jar);
        Path log = dir.resolve("aot.log");
        Result client = launch(repo, log);
        assertClientAsWithout(client);
        assertFalse(Files.readString(log).contains("fdpass-example-client.aot"),
                "the launcher passed the cache of the older jar:\n" + Files.readString(log));
    }

    /**
     * A cache that another JDK made for this very jar (an archive of its own version; JDK 17's, where there is one),
     * named as if the build had trained it: the launcher passes it, the JVM refuses it and runs without, silently.
     */
    @Test
    void aCacheMadeByAnotherJdkIsIgnoredWithoutAWord() throws Exception {
        Optional<Path> other = otherJdk();
        assumeTrue(other.isPresent(), "no JDK other than " + Runtime.version().feature() + " (13 or later) in "
                + "/usr/lib/jvm to make a cache with");
        Path repo = launcherCopy();
        Path jar = repo.resolve("examples/target/fdpass-example-client.jar");
        Path made = dir.resolve("other.aot");
        int feature = feature(other.get());
        // Before 25, a dynamic archive: what that JDK makes of a run. JDK 17 cannot run these classes, and writes
        // its archive all the same, at the exit of the run that failed.
        Result make = Jars.run(dir, List.of(other.get().resolve("bin/java").toString(),
                feature >= 25 ? "-XX:AOTCacheOutput=" + made : "-XX:ArchiveClassesAtExit=" + made,
                "-jar", jar.toString(), "--version"));
        assertTrue(Files.size(made) > 0, () -> "JDK " + feature + " made no archive\n" + make);
        trainedFor(jar, made);
        Path log = dir.resolve("aot.log");
        Result client = launch(repo, log);
        assertClientAsWithout(client);
        String aot = Files.readString(log);
        assertTrue(aot.contains("fdpass-example-client.aot") && aot.contains("Unable to map shared spaces"), aot);
    }

    /** The client, through {@code repo}'s launcher, asking a server for the three names; the JVM's aot log in log. */
    private Result launch(Path repo, Path log) throws Exception {
        Path socket = dir.resolve("s.sock");
        try (Server server = Server.start(dir, socket, List.of(), "--root", root.toString())) {
            List<String> command = new ArrayList<>(List.of(repo.resolve("bin/fdpass-client").toString(),
                    "--socket", socket.toString()));
            command.addAll(NAMES);
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
            Map<String, String> env = pb.environment();
            env.put("JAVA_HOME", System.getProperty("java.home"));
            env.put("FDPASS_BUILD", "never");
            env.put("FDPASS_JAVA_OPTS", "-Xlog:aot=info:file=" + log);
            Process p = pb.start();
            assertTrue(p.waitFor(Jars.RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the launcher did not end");
            Result result = new Result(p.exitValue(), Files.readString(dir.resolve("out.txt")),
                    Files.readString(dir.resolve("err.txt")), p.pid());
            assertEquals(0, server.terminate(), server::log);
            return result;
        }
    }

    private static void assertClientAsWithout(Result client) {
        assertEquals(0, client.exit(), client::toString);
        assertEquals(OUTPUT, client.outLines(), client::toString);
        assertEquals("", client.err(), client::toString);
    }

    /** A repository of its own with the client's launcher (as bin/ has it) and a copy of the client jar. */
    private Path launcherCopy() throws IOException {
        Path repo = dir.resolve("repo");
        for (String file : List.of("bin/fdpass-client", "bin/lib/launch.sh", "bin/lib/aot.sh", ".mvn/jdk.sh",
                "examples/target/fdpass-example-client.jar")) {
            Path to = repo.resolve(file);
            Files.createDirectories(to.getParent());
            Files.copy(REPO.resolve(file), to, StandardCopyOption.COPY_ATTRIBUTES);
        }
        return repo.toRealPath();
    }

    /** {@code cache} in place for {@code jar}, as the training leaves it (bin/lib/aot.sh, fdpass_aot_trained). */
    private static void trainedFor(Path jar, Path cache) throws IOException {
        Path placed = Path.of(jar.toString().replaceAll("\\.jar$", ".aot"));
        Files.copy(cache, placed, StandardCopyOption.REPLACE_EXISTING);
        Path trainedFor = Path.of(placed + ".trained-for");
        Files.writeString(trainedFor, jar + "\n");
        Files.setLastModifiedTime(trainedFor, Files.getLastModifiedTime(jar));
    }

    /** {@code from} written again to {@code to} with one entry more, one second later: a jar built anew. */
    private static void rebuild(Path from, Path to) throws IOException {
        try (JarFile in = new JarFile(from.toFile());
             JarOutputStream out = new JarOutputStream(Files.newOutputStream(to))) {
            for (Enumeration<JarEntry> entries = in.entries(); entries.hasMoreElements(); ) {
                JarEntry entry = entries.nextElement();
                out.putNextEntry(new JarEntry(entry.getName()));
                try (InputStream data = in.getInputStream(entry)) {
                    data.transferTo(out);
                }
                out.closeEntry();
            }
            out.putNextEntry(new JarEntry("META-INF/rebuilt.txt"));
            out.write("rebuilt\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        Files.setLastModifiedTime(to, FileTime.fromMillis(Files.getLastModifiedTime(from).toMillis() + 1000));
    }

    /** A JDK in /usr/lib/jvm of another feature release than this one's, 13 or later (dynamic archives). */
    private static Optional<Path> otherJdk() throws IOException {
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(jvms)) {
            return homes.filter(h -> Files.isExecutable(h.resolve("bin/java")) && !Files.isSymbolicLink(h))
                    .filter(h -> {
                        int f = feature(h);
                        return f >= 13 && f != Runtime.version().feature();
                    })
                    .sorted().findFirst();
        }
    }

    /** The feature release a JDK's release file names (JAVA_VERSION="17.0.15"), or 0. */
    private static int feature(Path home) {
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring(13).replace("\"", "");
                    return Integer.parseInt(v.split("[.+-]")[0]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
