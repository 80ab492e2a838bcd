package io.fdpass.testsuite;

import io.fdpass.client.FdPassClient;
import io.fdpass.server.FdPassServer;
import io.fdpass.spi.FdPassTransport;
import io.fdpass.testing.LeakCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The base of the behaviour suite that every transport runs, the way Netty's testsuite does: a transport module
 * subclasses each abstract test and only says which transport. Where the transport is unavailable, every test is
 * skipped with Netty's reason.
 */
public abstract class AbstractFdPassTest {
    /** The scenario's files: what fdpass started from. */
    protected static final String COURSES = "Course1\nCourse2\n";
    protected static final String CAMPUSINFO = "Campus1\nCampus2";
    protected static final String CONTACTS = "Contacts\n";

    @TempDir
    protected Path dir;
    protected Path root;
    protected Path socket;

    /** The transport under test. */
    protected abstract FdPassTransport transport();

    @BeforeEach
    void requireTransport() throws IOException {
        FdPassTransport transport = transport();
        assumeTrue(transport.isAvailable(), () -> assertThrows(IllegalStateException.class, transport::ensureAvailable).getMessage());
        root = Files.createDirectory(dir.resolve("root"));
        socket = dir.resolve("fdpass.sock");
        write("courses.txt", COURSES);
        write("campusinfo.txt", CAMPUSINFO);
        write("contacts.txt", CONTACTS);
    }

    @AfterEach
    void noBufferLeaks() {
        LeakCheck.assertNoLeaks();
    }

    protected Path write(String name, String content) throws IOException {
        Path file = root.resolve(name);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    /** A server on this test's socket and root, on the transport under test. */
    protected FdPassServer.Builder server() {
        return FdPassServer.builder().transport(transport()).socket(socket).root(root);
    }

    protected FdPassClient.Builder client() {
        return FdPassClient.builder().transport(transport()).socket(socket);
    }

    protected FdPassClient connect() throws IOException {
        return client().connect();
    }
}
