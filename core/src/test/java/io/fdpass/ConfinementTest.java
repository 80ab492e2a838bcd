package io.fdpass;

import io.fdpass.confinement.Confinement;
import io.fdpass.internal.Landlock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The public API for workers: a thread, a thread factory and a command, each confined, and nothing else. */
class ConfinementTest {
    @TempDir
    Path dir;
    private Path root;
    private Path inside;
    private Path outside;

    @BeforeEach
    void files() throws IOException {
        root = Files.createDirectory(dir.resolve("root"));
        inside = Files.writeString(root.resolve("inside.txt"), "inside\n");
        outside = Files.writeString(dir.resolve("outside.txt"), "outside\n");
    }

    private static void assumeLandlock() {
        assumeTrue(Confinement.isSupported(), () -> "no Landlock here: " + Landlock.unavailableReason());
    }

    /** Loaded first by a confined thread: the JVM reads its class file then. */
    static final class LoadedOnlyWhenConfined {
    }

    @Test
    void aConfinedThreadReadsBeneathItsPathsAndNothingElseNorDoesWhatItStarts() throws Exception {
        assumeLandlock();
        List<String> denied = onFreshThread(() -> {
            Confinement.jvmFiles().and(Confinement.readOnlyBeneath(root)).restrictCurrentThread();
            assertEquals("inside\n", Files.readString(inside));
            try (Stream<Path> listing = Files.list(root)) {
                assertEquals(List.of(inside), listing.toList());
            }
            Class.forName(ConfinementTest.class.getName() + "$LoadedOnlyWhenConfined");
            List<String> refused = new ArrayList<>();
            refusal(refused, "read outside", () -> Files.readString(outside));
            refusal(refused, "write", () -> Files.writeString(inside, "x", StandardOpenOption.WRITE));
            refusal(refused, "create", () -> Files.writeString(root.resolve("new.txt"), "x"));
            refusal(refused, "remove", () -> Files.delete(inside));
            refusal(refused, "make a directory", () -> Files.createDirectory(root.resolve("sub")));
            // A thread it starts now is confined as well.
            refused.addAll(onFreshThread(() -> {
                List<String> child = new ArrayList<>();
                refusal(child, "read outside, from a thread it started", () -> Files.readString(outside));
                return child;
            }));
            return refused;
        });
        assertEquals(List.of("read outside", "write", "create", "remove", "make a directory",
                "read outside, from a thread it started"), denied);
        assertEquals("outside\n", Files.readString(outside), "the test's thread was confined");
        assertEquals("0", noNewPrivs(Path.of("/proc/thread-self")));
        assertEquals("inside\n", Files.readString(inside));
        assertEquals(List.of(inside), Files.list(root).toList());
    }

    @Test
    void aThreadFactorysThreadsAreConfinedBeforeTheyRunAnything() throws Exception {
        assumeLandlock();
        ExecutorService pool = Executors.newFixedThreadPool(2,
                Confinement.jvmFiles().and(Confinement.readOnlyBeneath(root)).threadFactory(Thread.ofPlatform()
                        .name("confined-", 0).factory()));
        try {
            for (int i = 0; i < 4; i++) {
                assertFalse(pool.submit(() -> canRead(outside)).get(10, TimeUnit.SECONDS));
                assertTrue(pool.submit(() -> canRead(inside)).get(10, TimeUnit.SECONDS));
            }
            // Seen from outside (a confined thread cannot read /proc): each has no_new_privs, which Landlock needs.
            List<String> confined = new ArrayList<>();
            try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path task : tasks.toList()) {
                    if (Files.readString(task.resolve("comm")).startsWith("confined-")) {
                        confined.add(noNewPrivs(task));
                    }
                }
            }
            assertEquals(List.of("1", "1"), confined);
        } finally {
            pool.shutdown();
        }
        assertTrue(canRead(outside));
    }

    @Test
    void aCommandRunsInTheDomainAndTheCallerStaysFree() throws Exception {
        assumeLandlock();
        Path cat = Path.of("/usr/bin/cat");
        assumeTrue(Files.isExecutable(cat), "needs /usr/bin/cat");
        List<Path> system = Stream.of("/usr", "/lib", "/lib64").map(Path::of).filter(Files::isDirectory).toList();
        Confinement domain = Confinement.readOnlyBeneath(root).and(Confinement.executableBeneath(
                system.toArray(Path[]::new)));
        Process both = domain.start(new ProcessBuilder(cat.toString(), inside.toString(), outside.toString()));
        assertEquals(1, both.waitFor(), "cat should have failed on the file outside");
        assertEquals("inside\n", new String(both.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        String err = new String(both.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(err.contains(outside + ": Permission denied"), err);

        Process touch = domain.start(new ProcessBuilder("/usr/bin/touch", root.resolve("new.txt").toString()));
        assertEquals(1, touch.waitFor());
        assertFalse(Files.exists(root.resolve("new.txt")));

        // What the domain does not allow to be executed does not run at all.
        IOException notExecutable = assertThrows(IOException.class,
                () -> Confinement.readOnlyBeneath(root).start(new ProcessBuilder(cat.toString(), inside.toString())));
        assertTrue(notExecutable.getMessage().contains("Permission denied"), notExecutable.getMessage());

        Process free = new ProcessBuilder(cat.toString(), outside.toString()).start();
        assertEquals(0, free.waitFor(), "the caller's own processes are not confined");
    }

    @Test
    void aVirtualThreadCannotBeConfined() throws Exception {
        assumeLandlock();
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                Confinement.readOnlyBeneath(root).restrictCurrentThread();
                failure.complete(null);
            } catch (Throwable t) {
                failure.complete(t);
            }
        });
        Throwable t = failure.get(10, TimeUnit.SECONDS);
        assertInstanceOf(IllegalStateException.class, t);
        assertTrue(t.getMessage().startsWith("a virtual thread cannot be confined"), t.getMessage());
    }

    @Test
    void aPathThatCannotBeOpenedFailsBeforeAnythingIsRestricted() throws Exception {
        assumeLandlock();
        Path missing = dir.resolve("missing");
        Confinement domain = Confinement.readOnlyBeneath(root, missing);
        boolean readsAfterwards = onFreshThread(() -> {
            IOException e = assertThrows(IOException.class, domain::restrictCurrentThread);
            assertEquals(missing + ": ENOENT (No such file or directory)", e.getMessage());
            return canRead(outside);
        });
        assertTrue(readsAfterwards, "a failed restriction left the thread confined");
        assertThrows(IOException.class, () -> domain.threadFactory(Thread.ofPlatform().factory()));
    }

    @Test
    void theTestingKnobLowersTheAbiOrTakesLandlockAway() throws Exception {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "Landlock is Linux's");
        int kernel = Confinement.abi();
        try {
            System.setProperty(Landlock.ABI_PROPERTY, "0");
            assertFalse(Confinement.isSupported());
            assertEquals(0, Confinement.abi());
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> Confinement.readOnlyBeneath(root).restrictCurrentThread());
            assertEquals("Landlock is unavailable: " + Landlock.ABI_PROPERTY + "=0 (a testing knob)",
                    e.getMessage());
            assertThrows(UnsupportedOperationException.class,
                    () -> Confinement.readOnlyBeneath(root).threadFactory(Thread.ofPlatform().factory()));
            if (kernel >= 2) {
                System.setProperty(Landlock.ABI_PROPERTY, "1");
                assertEquals(1, Confinement.abi());
                // ABI 1 handles fewer rights, but reading outside and writing are refused all the same.
                assertFalse(onFreshThread(() -> {
                    Confinement.readOnlyBeneath(root).restrictCurrentThread();
                    return canRead(outside);
                }));
            }
            System.setProperty(Landlock.ABI_PROPERTY, "seven");
            IllegalStateException bad = assertThrows(IllegalStateException.class, Confinement::abi);
            assertEquals(Landlock.ABI_PROPERTY + ": 'seven' (expected: an integer >= 0)", bad.getMessage());
        } finally {
            System.clearProperty(Landlock.ABI_PROPERTY);
        }
        assertEquals(kernel, Confinement.abi());
    }

    @Test
    void itsStringSaysWhatItAllows() {
        assertEquals("Confinement[nothing]", Confinement.readOnlyBeneath().toString());
        assertEquals("Confinement[read beneath " + root + "; read and execute beneath /usr]",
                Confinement.readOnlyBeneath(root).and(Confinement.executableBeneath(Path.of("/usr"))).toString());
        assertTrue(Confinement.jvmFiles().toString().startsWith("Confinement[read the JVM's own files ("),
                Confinement.jvmFiles().toString());
    }

    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }

    @FunctionalInterface
    private interface Job<T> {
        T call() throws Exception;
    }

    /** Adds {@code what} to {@code refused} if Landlock refuses {@code action}; fails if it did something else. */
    private static void refusal(List<String> refused, String what, Action action) throws Exception {
        try {
            action.run();
        } catch (AccessDeniedException e) {
            refused.add(what);
        }
    }

    /** Runs {@code job} on a new platform thread (confining it costs the test's thread nothing). */
    private static <T> T onFreshThread(Job<T> job) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            try {
                result.complete(job.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        try {
            return result.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw (Error) e.getCause();
        }
    }

    private static boolean canRead(Path file) throws IOException {
        try {
            Files.readString(file);
            return true;
        } catch (AccessDeniedException e) {
            return false;
        }
    }

    private static String noNewPrivs(Path task) throws IOException {
        return Files.readAllLines(task.resolve("status")).stream()
                .filter(l -> l.startsWith("NoNewPrivs:")).map(l -> l.substring(11).strip()).findFirst().orElse("?");
    }
}
