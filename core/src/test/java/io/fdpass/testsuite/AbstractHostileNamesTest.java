package io.fdpass.testsuite;

import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;
import io.fdpass.codec.FdPassReply;
import io.fdpass.codec.FileStatus;
import io.fdpass.server.FdPassServer;
import io.fdpass.testing.Mounts;
import io.fdpass.testing.TestSyscalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Names built to escape the root or to stall the server, through the whole server: none gets anywhere. The root is
 * a tmpfs of its own (as root on Linux; else where the temporary directory is), mounted {@code nodev} where
 * {@link #nodevRoot()} says so, so that the server opens by another way (protocol v1, "Opening"): every way gives
 * every name the same status.
 */
public abstract class AbstractHostileNamesTest extends AbstractFdPassTest {
    private final Mounts mounts = new Mounts();

    /** Whether the root's mount is {@code nodev}: then the test runs only where it can mount one. */
    protected boolean nodevRoot() {
        return false;
    }

    @BeforeEach
    void mountRoot() throws Exception {
        if (!Mounts.possible()) {
            assumeFalse(nodevRoot(), Mounts.NEEDS_ROOT);
            return;
        }
        mounts.tmpfs(root, nodevRoot());
        write("courses.txt", COURSES);
        write("campusinfo.txt", CAMPUSINFO);
        write("contacts.txt", CONTACTS);
    }

    @AfterEach
    void unmountRoot() throws Exception {
        mounts.close();
    }

    @Test
    void noHostileNameOpensAnythingOutsideTheRootOrBlocksTheServer() throws Exception {
        Path outside = Files.writeString(dir.resolve("outside.txt"), "secret");
        Files.createSymbolicLink(root.resolve("to-outside-absolute"), outside);
        Files.createSymbolicLink(root.resolve("to-inside-absolute"), root.resolve("courses.txt"));
        Files.createSymbolicLink(root.resolve("to-outside-relative"), Path.of("../outside.txt"));
        Files.createSymbolicLink(root.resolve("loop-a"), Path.of("loop-b"));
        Files.createSymbolicLink(root.resolve("loop-b"), Path.of("loop-a"));
        Files.createSymbolicLink(root.resolve("magic-root"), Path.of("/proc/self/root"));
        Files.createSymbolicLink(root.resolve("magic-fd"), Path.of("/proc/self/fd/0"));
        Files.createDirectory(root.resolve("dir"));
        assertEquals(0, new ProcessBuilder("mkfifo", root.resolve("fifo").toString()).start().waitFor());
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            assertEquals(0, new ProcessBuilder("mknod", this.root.resolve("null-device").toString(), "c", "1", "3")
                    .start().waitFor());
        }
        Map<String, FileStatus> expected = new LinkedHashMap<>();
        expected.put("", FileStatus.INVALID_NAME);
        expected.put("courses\0.txt", FileStatus.INVALID_NAME);
        expected.put("a".repeat(4097), FileStatus.INVALID_NAME);
        expected.put("..", FileStatus.INVALID_NAME);
        expected.put("a/../../b", FileStatus.INVALID_NAME);
        expected.put("/etc/passwd", FileStatus.INVALID_NAME);
        expected.put(outside.toString(), FileStatus.INVALID_NAME);
        expected.put("//courses.txt", FileStatus.INVALID_NAME);
        expected.put("dir/", FileStatus.INVALID_NAME);
        expected.put("./courses.txt", FileStatus.INVALID_NAME);
        expected.put("to-outside-absolute", FileStatus.INVALID_NAME);
        expected.put("to-inside-absolute", FileStatus.INVALID_NAME);
        expected.put("to-outside-relative", FileStatus.INVALID_NAME);
        expected.put("loop-a", FileStatus.INVALID_NAME);
        expected.put("magic-root/etc/passwd", FileStatus.INVALID_NAME);
        expected.put("magic-fd", FileStatus.INVALID_NAME);
        expected.put("dir", FileStatus.NOT_REGULAR_FILE);
        expected.put("fifo", FileStatus.NOT_REGULAR_FILE);
        expected.put("socket", FileStatus.NOT_REGULAR_FILE);
        if (root) {
            expected.put("null-device", FileStatus.NOT_REGULAR_FILE);
        }
        expected.put("contacts.txt", FileStatus.OK);
        List<String> names = new ArrayList<>(expected.keySet());
        try (ServerSocketChannel listening = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listening.bind(UnixDomainSocketAddress.of(this.root.resolve("socket")));
            try (FdPassServer server = server().start(); FdPassClient client = connect()) {
                // Invalid UTF-8 travels as bytes: the client API sends strings, so the raw client sends this one.
                try (RawClient raw = new RawClient(transport(), socket)) {
                    raw.writeHex("0000000b 01 00000001 0001 0002 c0af"); // an overlong "/"
                    assertEquals(FileStatus.INVALID_NAME, raw.next(FdPassReply.class).status(0));
                }
                try (ReceivedReply reply = client.request(names).join()) {
                    for (int i = 0; i < names.size(); i++) {
                        assertEquals(expected.get(names.get(i)), reply.entry(i).status(),
                                "name " + printable(names.get(i)));
                    }
                    assertEquals(CONTACTS, AbstractServeTest.readAll(reply.entry(names.size() - 1).file()));
                }
            }
        }
    }

    @Test
    void aFileSwappedForASymlinkOutsideInATightLoopNeverServesTheOutside() throws Throwable {
        Path outside = Files.writeString(dir.resolve("outside.txt"), "secret");
        Path file = write("swapped.txt", "inside");
        Path link = root.resolve("swap-link");
        Files.createSymbolicLink(link, outside);
        AtomicBoolean swapping = new AtomicBoolean(true);
        Thread swapper = Thread.ofPlatform().start(() -> {
            try {
                while (swapping.get()) {
                    TestSyscalls.renameat2(file, link, TestSyscalls.RENAME_EXCHANGE);
                }
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        });
        int ok = 0;
        try (FdPassServer server = server().start(); FdPassClient client = connect()) {
            for (int i = 0; i < 2000; i++) {
                try (ReceivedReply reply = client.request("swapped.txt").join()) {
                    ReceivedReply.Entry entry = reply.entry(0);
                    if (entry.isOk()) {
                        ok++;
                        assertEquals("inside", AbstractServeTest.readAll(entry.file()));
                    } else {
                        assertTrue(entry.status() == FileStatus.INVALID_NAME
                                || entry.status() == FileStatus.NOT_FOUND, entry.toString());
                    }
                }
            }
        } finally {
            swapping.set(false);
            swapper.join();
        }
        assertNotEquals(0, ok, "the swap never left the file in place: the test proved nothing");
        assertEquals("secret", Files.readString(outside));
    }

    private static String printable(String name) {
        String shown = name.length() > 40 ? name.substring(0, 40) + "… (" + name.length() + " chars)" : name;
        return new String(shown.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).replace("\0", "\\0");
    }
}
