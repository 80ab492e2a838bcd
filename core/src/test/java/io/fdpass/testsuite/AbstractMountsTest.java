package io.fdpass.testsuite;

import io.fdpass.FileSource;
import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;
import io.fdpass.codec.FileStatus;
import io.fdpass.server.FdPassServer;
import io.fdpass.server.FileSources;
import io.fdpass.testing.Mounts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Protocol v1, "Mounts beneath the root", through the whole server (Linux, as root; skipped otherwise): a root on
 * a tmpfs of its own, {@code nodev} or not, with procfs and another tmpfs mounted beneath it, as in a container's
 * root filesystem. The server's own memory never leaves it.
 */
public abstract class AbstractMountsTest extends AbstractFdPassTest {
    private static final List<String> PROC = List.of("proc/self/mem", "proc/self/environ", "proc/self/maps",
            "proc/self/cmdline", "proc/version");

    private final Mounts mounts = new Mounts();

    @AfterEach
    void unmount() throws Exception {
        mounts.close();
    }

    /** The root as a tmpfs, with procfs at proc and another tmpfs at other, holding f.txt. */
    private void mountRoot(boolean nodev) throws Exception {
        assumeTrue(Mounts.possible(), Mounts.NEEDS_ROOT);
        mounts.tmpfs(root, nodev);
        write("courses.txt", COURSES);
        mounts.mount("proc", root.resolve("proc"), null);
        Path other = mounts.tmpfs(root.resolve("other"), false);
        Files.writeString(other.resolve("f.txt"), "another mount's");
        Files.createSymbolicLink(root.resolve("to-other"), Path.of("other/f.txt"));
    }

    private Map<String, FileStatus> request(FdPassServer.Builder builder, Map<String, FileStatus> expected)
            throws Exception {
        List<String> names = List.copyOf(expected.keySet());
        Map<String, FileStatus> actual = new LinkedHashMap<>();
        try (FdPassServer server = builder.start(); FdPassClient client = connect();
             ReceivedReply reply = client.request(names).join()) {
            for (ReceivedReply.Entry entry : reply.entries()) {
                actual.put(entry.name(), entry.status());
                assertEquals(entry.status() == FileStatus.OK, entry.isOk(), entry.name()); // a descriptor iff OK
                if (entry.isOk() && (entry.name().startsWith("other/") || entry.name().startsWith("to-other"))) {
                    assertEquals("another mount's", AbstractServeTest.readAll(entry.file()));
                }
            }
        }
        return actual;
    }

    /** What each name gets, with mounts crossed or not: protocol v1, "Mounts beneath the root". */
    private static Map<String, FileStatus> expected(boolean allowMounts) {
        FileStatus otherMount = allowMounts ? FileStatus.OK : FileStatus.PERMISSION_DENIED;
        Map<String, FileStatus> expected = new LinkedHashMap<>();
        expected.put("courses.txt", FileStatus.OK);
        PROC.forEach(name -> expected.put(name, FileStatus.PERMISSION_DENIED)); // a pseudo filesystem, ever
        expected.put("proc/missing", allowMounts ? FileStatus.NOT_FOUND : FileStatus.PERMISSION_DENIED);
        expected.put("proc", allowMounts ? FileStatus.NOT_REGULAR_FILE : FileStatus.PERMISSION_DENIED);
        expected.put("other/f.txt", otherMount);
        expected.put("to-other", otherMount);
        expected.put("proc/self/root/etc/passwd", FileStatus.INVALID_NAME);
        expected.put("proc/1/root/etc/passwd", FileStatus.INVALID_NAME);
        expected.put("proc/self/fd/0", FileStatus.INVALID_NAME);
        return expected;
    }

    @ParameterizedTest(name = "root nodev: {0}")
    @ValueSource(booleans = {false, true})
    void byDefaultNothingOfAnotherMountIsServed(boolean nodev) throws Exception {
        mountRoot(nodev);
        assertEquals(expected(false), request(server(), expected(false)));
    }

    @ParameterizedTest(name = "root nodev: {0}")
    @ValueSource(booleans = {false, true})
    void withMountsAllowedOtherMountsAreServedButNeverAPseudoFilesystem(boolean nodev) throws Exception {
        mountRoot(nodev);
        assertEquals(expected(true), request(server().allowMounts(true), expected(true)));
    }

    @Test
    void allowMountsIsForARoot() throws Exception {
        try (FileSource source = FileSources.beneath(root)) {
            FdPassServer.Builder builder = server().fileSource(source).allowMounts(true);
            IllegalStateException e = assertThrows(IllegalStateException.class, builder::buildInitializer);
            assertEquals("allowMounts applies to a root, not to a fileSource", e.getMessage());
        }
    }
}
