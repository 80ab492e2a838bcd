package io.fdpass.testsuite;

import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedFile;
import io.fdpass.client.ReceivedReply;
import io.fdpass.codec.FileStatus;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Opens;
import io.fdpass.server.FdPassServer;
import io.fdpass.testing.Fds;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Serving files on real sockets: what arrives, under load, for good and bad names, and what it leaves behind. */
public abstract class AbstractServeTest extends AbstractFdPassTest {
    private static final List<String> SCENARIO = List.of("courses.txt", "campusinfo.txt", "contacts.txt");
    private static final Map<String, String> CONTENT = Map.of("courses.txt", COURSES, "campusinfo.txt", CAMPUSINFO,
            "contacts.txt", CONTACTS);

    @Test
    void threeFilesArriveAsThreeReadableDescriptors() throws Exception {
        try (FdPassServer server = server().start();
             FdPassClient client = connect();
             ReceivedReply reply = client.request(SCENARIO).join()) {
            assertEquals(3, reply.entries().size());
            for (ReceivedReply.Entry entry : reply.entries()) {
                assertEquals(FileStatus.OK, entry.status(), entry.toString());
                String expected = CONTENT.get(entry.name());
                assertEquals(expected.length(), entry.size());
                assertEquals(expected, new String(entry.file().inputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void tenThousandRequestsPipelined32DeepAllCorrectAndNothingLeaks() throws Exception {
        int baseline = Fds.count();
        try (FdPassServer server = server().start(); FdPassClient client = connect()) {
            pipeline(client, 10_000, 32);
        }
        Fds.assertBackTo(baseline);
    }

    @Test
    void eightConnectionsAtOnceAllCorrectAndNothingLeaks() throws Exception {
        int baseline = Fds.count();
        try (FdPassServer server = server().start()) {
            List<CompletableFuture<Void>> runs = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                runs.add(CompletableFuture.runAsync(() -> {
                    try (FdPassClient client = connect()) {
                        pipeline(client, 1_500, 32);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }, Thread::startVirtualThread));
            }
            CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).join();
        }
        Fds.assertBackTo(baseline);
    }

    /**
     * Requests sent from replies' callbacks, which run on the client's event loop while it reads: the client holds
     * their flush until the read is done. Sixteen chains of 500, each reply's callback sending its chain's next
     * request, all answered in full, every callback on the event loop. Each chain starts on that loop, so that each
     * request is sent from there and its callback added before the loop can read its reply. (Started from the test's
     * thread, a chain whose reply came before its callback was added ran that callback on the test's thread, which
     * then sent the chain's next request too: on a loaded machine, whose scheduler may pause the test's thread
     * between the two calls, hundreds of callbacks did.)
     */
    @Test
    void requestsSentFromReplyCallbacksOnTheEventLoopAreAllAnswered() throws Exception {
        int baseline = Fds.count();
        int chains = 16;
        int length = 500;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, transport().newIoHandlerFactory());
        try (FdPassServer server = server().start(); FdPassClient client = client().eventLoopGroup(group).connect()) {
            EventLoop loop = group.next();
            AtomicInteger offTheLoop = new AtomicInteger();
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int c = 0; c < chains; c++) {
                CompletableFuture<Void> chain = new CompletableFuture<>();
                done.add(chain);
                loop.execute(() -> chain(client, length, chain, loop, offTheLoop));
            }
            // A bound on a hang, not a measure: 8,000 round trips take seconds, more on a loaded machine.
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
            assertEquals(0, offTheLoop.get(), "callbacks that ran off the client's event loop");
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
        Fds.assertBackTo(baseline);
    }

    private static void chain(FdPassClient client, int left, CompletableFuture<Void> done, EventLoop loop,
            AtomicInteger offTheLoop) {
        client.request("courses.txt").whenComplete((reply, error) -> {
            if (!loop.inEventLoop()) {
                offTheLoop.incrementAndGet();
            }
            try (reply) {
                if (error != null) {
                    throw error;
                }
                assertEquals(COURSES, new String(reply.entries().getFirst().file().inputStream().readAllBytes(),
                        StandardCharsets.UTF_8));
            } catch (Throwable t) {
                done.completeExceptionally(t);
                return;
            }
            if (left == 1) {
                done.complete(null);
            } else {
                chain(client, left - 1, done, loop, offTheLoop);
            }
        });
    }

    /** Sends {@code total} scenario requests keeping {@code depth} in flight; checks every byte of every reply. */
    private static void pipeline(FdPassClient client, int total, int depth) throws InterruptedException {
        Semaphore inFlight = new Semaphore(depth);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < total && failure.get() == null; i++) {
            inFlight.acquire();
            client.request(SCENARIO).whenComplete((reply, error) -> {
                try (reply) {
                    if (error != null) {
                        throw error;
                    }
                    for (ReceivedReply.Entry entry : reply.entries()) {
                        String expected = CONTENT.get(entry.name());
                        ByteBuffer bytes = ByteBuffer.allocate(64);
                        entry.file().read(bytes, 0);
                        if (!expected.equals(new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8))) {
                            throw new AssertionError(entry + " read " + bytes);
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    inFlight.release();
                }
            });
        }
        inFlight.acquire(depth);
        assertNull(failure.get(), () -> "a request failed: " + failure.get());
    }

    @Test
    void eachNameGetsItsOwnStatusAndTheGoodOnesStillArrive() throws Exception {
        Path outside = Files.writeString(dir.resolve("outside.txt"), "secret");
        Files.createSymbolicLink(root.resolve("abs-link"), outside);
        Files.createSymbolicLink(root.resolve("rel-link"), Path.of("../outside.txt"));
        Files.createSymbolicLink(root.resolve("inside-link"), Path.of("courses.txt"));
        Files.createDirectory(root.resolve("subdir"));
        write("subdir/nested.txt", "nested");
        new ProcessBuilder("mkfifo", root.resolve("fifo").toString()).inheritIO().start().waitFor();
        List<String> names = List.of("courses.txt", "missing.txt", "../x", "/etc/passwd", "a//b", "abs-link",
                "rel-link", "subdir", "fifo", "contacts.txt", "inside-link", "subdir/nested.txt");
        List<FileStatus> expected = List.of(FileStatus.OK, FileStatus.NOT_FOUND, FileStatus.INVALID_NAME,
                FileStatus.INVALID_NAME, FileStatus.INVALID_NAME, FileStatus.INVALID_NAME, FileStatus.INVALID_NAME,
                FileStatus.NOT_REGULAR_FILE, FileStatus.NOT_REGULAR_FILE, FileStatus.OK, FileStatus.OK,
                FileStatus.OK);
        try (FdPassServer server = server().start();
             FdPassClient client = connect();
             ReceivedReply reply = client.request(names).join()) {
            for (int i = 0; i < names.size(); i++) {
                ReceivedReply.Entry entry = reply.entry(i);
                assertEquals(names.get(i), entry.name());
                assertEquals(expected.get(i), entry.status(), entry.name());
                assertEquals(entry.status() == FileStatus.OK, entry.isOk());
            }
            assertEquals(CONTACTS, readAll(reply.entry(9).file()));
            assertEquals(COURSES, readAll(reply.entry(10).file()));
            assertEquals("nested", readAll(reply.entry(11).file()));
        }
    }

    @Test
    void servedFilesStayUnchangedAndTheirDescriptorsCannotWrite() throws Exception {
        FileTime before = Files.getLastModifiedTime(root.resolve("courses.txt"));
        try (FdPassServer server = server().start(); FdPassClient client = connect()) {
            for (int i = 0; i < 50; i++) {
                try (ReceivedReply reply = client.request(SCENARIO).join()) {
                    for (ReceivedReply.Entry entry : reply.entries()) {
                        // Detached, the descriptor is ours to inspect and to close.
                        int fd = entry.file().detach();
                        int flags = Descriptors.getStatusFlags(fd);
                        assertEquals(0, Descriptors.close(fd));
                        assertTrue(flags >= 0, "F_GETFL failed");
                        assertEquals(Opens.O_RDONLY, flags & Opens.O_ACCMODE, entry.name() + " is not read-only");
                    }
                }
            }
        }
        for (String name : SCENARIO) {
            assertEquals(CONTENT.get(name), Files.readString(root.resolve(name)));
        }
        assertEquals(before, Files.getLastModifiedTime(root.resolve("courses.txt")));
    }

    @Test
    void aReceivedFileReadsByChannelByPositionAndAsAMappedSegment() throws Exception {
        byte[] content = new byte[3 * 1024 * 1024 + 7];
        new Random(7).nextBytes(content);
        Files.write(root.resolve("big.bin"), content);
        write("empty.txt", "");
        try (FdPassServer server = server().start(); FdPassClient client = connect();
             ReceivedReply reply = client.request("big.bin", "empty.txt").join()) {
            ReceivedFile big = reply.entry(0).file();
            assertEquals(content.length, big.size());
            ByteBuffer tail = ByteBuffer.allocateDirect(100);
            assertEquals(100, big.read(tail, content.length - 107));
            assertArrayEquals(Arrays.copyOfRange(content, content.length - 107, content.length - 7),
                    bytes(tail.flip()));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment mapped = big.map(arena);
                assertEquals(content.length, mapped.byteSize());
                assertArrayEquals(content, mapped.toArray(ValueLayout.JAVA_BYTE));
                big.close(); // the mapping outlives the descriptor
                assertEquals(content[12345], mapped.get(ValueLayout.JAVA_BYTE, 12345));
                assertEquals(0, reply.entry(1).file().map(arena).byteSize());
            }
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    static String readAll(ReceivedFile file) throws Exception {
        return new String(file.inputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
