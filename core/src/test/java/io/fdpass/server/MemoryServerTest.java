package io.fdpass.server;

import io.fdpass.server.MemoryServer.Connection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What the in-memory server tests share: a {@link MemoryServer} per test, closed after it, which checks that it was
 * given back everything it counted.
 */
abstract class MemoryServerTest {
    @TempDir
    Path dir;
    MemoryServer server;

    @AfterEach
    void everythingGivenBack() {
        if (server != null) {
            server.close();
        }
    }

    MemoryServer start(MemoryServer.Builder builder) throws IOException {
        server = builder.start();
        return server;
    }

    /** A connection of {@code uid}, admitted: its HELLO read. */
    Connection served(int uid) {
        Connection c = server.connect(uid);
        assertEquals(List.of("HELLO"), c.read());
        return c;
    }
}
