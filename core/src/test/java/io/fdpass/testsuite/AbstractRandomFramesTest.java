package io.fdpass.testsuite;

import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;
import io.fdpass.codec.FdPassError;
import io.fdpass.codec.FdPassReply;
import io.fdpass.codec.FileStatus;
import io.fdpass.fuzz.RequestFrameJudge.Judgement;
import io.fdpass.fuzz.RequestFrameJudge;
import io.fdpass.server.FdPassServer;
import io.fdpass.testing.Fds;
import io.netty.channel.unix.FileDescriptor;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.fdpass.internal.FileReads.pread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A few thousand random frames against one real server, over many connections, some at once: valid requests for
 * good, missing and hostile names, and corrupt frames of every kind the protocol names, with junk after them. Every
 * connection must get, for each request before its first faulty frame, the right REPLY in order with a readable
 * descriptor per OK entry, then the ERROR with the code that {@link RequestFrameJudge} gives, then the server's
 * close (per the closing rule, once the client has read everything); and the server must go on serving and leave
 * no descriptor open.
 *
 * <p>Everything is drawn from {@link #SEED}; a failure names the connection and its seed.
 */
public abstract class AbstractRandomFramesTest extends AbstractFdPassTest {
    private static final long SEED = 0x5eed_fd_9a55L;
    private static final int CONNECTIONS = 48;
    private static final int AT_ONCE = 4;
    private static final int MAX_NAMES = 16;
    private static final int MAX_FRAME_LENGTH = 8192;
    private static final String INNER = "Inner\n";
    /** Kinds of faulty frame, see {@link #corrupt}; the last, a frame cut short, only at the end. */
    private static final int FAULT_KINDS = 12;

    /** Names whose fate is known: the file's content for OK, the status otherwise. */
    private final Map<String, Object> fates = new HashMap<>();
    private final List<byte[]> names = new ArrayList<>();
    /** Names of 4096 bytes and more: two in one request make it too large, so they come rarely. */
    private final List<byte[]> longNames = new ArrayList<>();

    private void name(byte[] name, Object fate) {
        fates.put(new String(name, StandardCharsets.ISO_8859_1), fate);
        (name.length >= 4096 ? longNames : names).add(name);
    }

    private void name(String name, Object fate) {
        name(name.getBytes(StandardCharsets.UTF_8), fate);
    }

    private Object fate(byte[] name) {
        return fates.get(new String(name, StandardCharsets.ISO_8859_1));
    }

    private void createFiles() throws IOException {
        write("sub/inner.txt", INNER);
        Files.createSymbolicLink(root.resolve("in-link"), Path.of("courses.txt"));
        Files.createSymbolicLink(root.resolve("abs-link"), root.resolve("courses.txt"));
        // A real file just outside the root, which a relative symlink leads to: it must never be served.
        Files.writeString(dir.resolve("outside.txt"), "outside\n", StandardCharsets.UTF_8);
        Files.createSymbolicLink(root.resolve("out-link"), Path.of("../outside.txt"));
        Files.createSymbolicLink(root.resolve("loop-a"), Path.of("loop-b"));
        Files.createSymbolicLink(root.resolve("loop-b"), Path.of("loop-a"));

        name("courses.txt", COURSES);
        name("campusinfo.txt", CAMPUSINFO);
        name("contacts.txt", CONTACTS);
        name("sub/inner.txt", INNER);
        name("in-link", COURSES);
        name("missing.txt", FileStatus.NOT_FOUND);
        name("sub/missing.txt", FileStatus.NOT_FOUND);
        name("courses.txt/x", FileStatus.NOT_FOUND);
        name("sub", FileStatus.NOT_REGULAR_FILE);
        for (String hostile : List.of("../x", "/etc/passwd", "a//b", "a/", "./courses.txt", "sub/../courses.txt",
                "sub/./inner.txt", "..", ".", "", "cou\0rses.txt", "abs-link", "out-link", "loop-a",
                "x".repeat(4097), "y".repeat(4096))) {
            name(hostile, FileStatus.INVALID_NAME);
        }
        // Not UTF-8 as RFC 3629 has it: a stray continuation byte, an overlong '/', a surrogate, above U+10FFFF.
        for (byte[] bad : List.of(new byte[] {'a', (byte) 0x80}, new byte[] {(byte) 0xc0, (byte) 0xaf},
                new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80})) {
            name(bad, FileStatus.INVALID_NAME);
        }
    }

    @Test
    void aFewThousandRandomFramesOverManyConnectionsGetExactlyTheirAnswers() throws Exception {
        createFiles();
        int baseline = Fds.count();
        AtomicInteger frames = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        try (FdPassServer server = server().maxNames(MAX_NAMES).maxFrameLength(MAX_FRAME_LENGTH).start()) {
            ExecutorService clients = Executors.newFixedThreadPool(AT_ONCE);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int i = 0; i < CONNECTIONS; i++) {
                    int connection = i;
                    done.add(clients.submit(() -> {
                        long seed = SEED + connection;
                        try {
                            Stream stream = randomStream(new Random(seed), connection % (FAULT_KINDS + 4));
                            frames.addAndGet(stream.frames());
                            if (exchange(stream)) {
                                errors.incrementAndGet();
                            }
                        } catch (Throwable t) {
                            throw new AssertionError("connection " + connection + " (seed " + seed + "): " + t, t);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                clients.shutdownNow();
            }
            assertTrue(frames.get() >= 2000, () -> "only " + frames.get() + " frames sent");
            assertTrue(errors.get() >= CONNECTIONS / 3, () -> "only " + errors.get() + " connections faulted");
            // All connections ended (each closed by the server or by its client); a fresh client is still served.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (server.connectionCount() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, server.connectionCount(), "connections still open");
            try (FdPassClient client = connect(); ReceivedReply reply = client.request("contacts.txt").join()) {
                assertEquals(CONTACTS, AbstractServeTest.readAll(reply.entry(0).file()));
            }
        }
        Fds.assertBackTo(baseline);
    }

    /** One connection's bytes and what the judge makes of them. */
    private record Stream(byte[] bytes, int frames, boolean halfClose, Judgement judged) {
    }

    /** A connection's random frames, with a faulty frame of the given kind ({@code >= FAULT_KINDS}: none). */
    private Stream randomStream(Random rnd, int faultKind) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int frames = 20 + rnd.nextInt(100);
        int faultAt = faultKind >= FAULT_KINDS ? -1
                : faultKind == FAULT_KINDS - 1 || rnd.nextBoolean() ? frames - 1 : rnd.nextInt(frames);
        for (int i = 0; i < frames; i++) {
            if (i == faultAt) {
                out.writeBytes(corrupt(rnd, faultKind, i == frames - 1));
            } else {
                out.writeBytes(request(rnd, rnd.nextInt(), 1 + rnd.nextInt(rnd.nextInt(8) == 0 ? MAX_NAMES : 4)));
            }
        }
        byte[] bytes = out.toByteArray();
        Judgement judged = RequestFrameJudge.judge(bytes, MAX_NAMES, MAX_FRAME_LENGTH);
        // A frame cut short shows only at end of stream; a clean stream is half-closed or not, at random.
        boolean halfClose = judged.errorAt() == RequestFrameJudge.END_OF_STREAM || (judged.error() == null
                && rnd.nextBoolean());
        return new Stream(bytes, frames, halfClose, judged);
    }

    private byte[] request(Random rnd, int id, int count) {
        List<byte[]> picked = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            List<byte[]> pool = rnd.nextInt(64) == 0 ? longNames : names;
            picked.add(pool.get(rnd.nextInt(pool.size())));
        }
        return request(id, count, picked, 0);
    }

    /** A REQUEST with whatever count it is told and {@code extra} junk bytes after the names. */
    private static byte[] request(int id, int count, List<byte[]> names, int extra) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(id >>> 24);
        body.write(id >>> 16);
        body.write(id >>> 8);
        body.write(id);
        body.write(count >>> 8);
        body.write(count);
        for (byte[] name : names) {
            body.write(name.length >>> 8);
            body.write(name.length);
            body.writeBytes(name);
        }
        body.writeBytes(new byte[extra]);
        return frame(0x01, body.toByteArray());
    }

    private static byte[] frame(int type, byte[] body) {
        byte[] f = new byte[5 + body.length];
        ByteBuffer.wrap(f).putInt(1 + body.length).put((byte) type).put(body);
        return f;
    }

    /** A faulty frame of the given kind, and sometimes junk after it (which the server must discard). */
    private byte[] corrupt(Random rnd, int kind, boolean last) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] good = request(rnd, 0x0bad, 1 + rnd.nextInt(3));
        List<byte[]> a = List.of("a".getBytes(StandardCharsets.US_ASCII));
        switch (kind) {
            case 0 -> out.writeBytes(new byte[] {0, 0, 0, 0, 1}); // length 0
            case 1 -> out.writeBytes(ByteBuffer.allocate(5).putInt(MAX_FRAME_LENGTH + 1 + rnd.nextInt(1 << 20))
                    .put((byte) 1).array()); // too large
            case 2 -> { // not a REQUEST
                int type = rnd.nextInt(256);
                good[4] = (byte) (type == 1 ? 2 : type);
                out.writeBytes(good);
            }
            case 3 -> out.writeBytes(request(9, 0, List.of(), 0)); // count 0
            case 4 -> { // too many names, filling the body exactly
                int count = MAX_NAMES + 1 + rnd.nextInt(40);
                out.writeBytes(request(9, count, Collections.nCopies(count, a.get(0)), 0));
            }
            case 5 -> out.writeBytes(request(9, 1, a, 1 + rnd.nextInt(5))); // names short of the body
            case 6 -> out.writeBytes(request(9, 2 + rnd.nextInt(3), a, 0)); // names past the body
            case 7 -> out.writeBytes(frame(0x01, new byte[rnd.nextInt(6)])); // no room for id and count
            case 8 -> { // too many names, and names that do not fill the body: MALFORMED comes first
                int count = MAX_NAMES + 1;
                out.writeBytes(request(9, count, Collections.nCopies(count - 1, a.get(0)), 0));
            }
            case 9 -> { // random bytes
                byte[] junk = new byte[1 + rnd.nextInt(64)];
                rnd.nextBytes(junk);
                out.writeBytes(junk);
            }
            case 10 -> { // a valid request with one byte changed
                good[rnd.nextInt(good.length)] = (byte) rnd.nextInt(256);
                out.writeBytes(good);
            }
            case FAULT_KINDS - 1 -> out.writeBytes(Arrays.copyOf(good, 1 + rnd.nextInt(good.length - 1))); // cut short
            default -> throw new AssertionError();
        }
        if (!last && rnd.nextBoolean()) {
            byte[] junk = new byte[rnd.nextInt(200)];
            rnd.nextBytes(junk);
            out.writeBytes(junk);
            out.writeBytes(request(rnd, 77, 1));
        }
        return out.toByteArray();
    }

    /** Sends the stream and checks every answer; whether the connection ended in an ERROR. */
    private boolean exchange(Stream stream) throws Exception {
        Judgement judged = stream.judged();
        try (RawClient raw = new RawClient(transport(), socket)) {
            try {
                raw.write(stream.bytes());
            } catch (Exception e) {
                // The server may close once its ERROR is read, with the rest of a long stream still unsent.
                assertTrue(judged.error() != null, () -> "writing failed: " + e);
            }
            for (int[] frame : judged.frames()) {
                expectReply(raw, Arrays.copyOfRange(stream.bytes(), frame[0], frame[1]));
            }
            // Half-closing only once every reply is read: see halfClosingClientGetsAllItsDescriptors.
            if (stream.halfClose()) {
                raw.shutdownOutput();
            }
            if (judged.error() != null) {
                FdPassError error = raw.next(FdPassError.class);
                assertEquals(judged.error(), error.errorCode(), () -> error + "; expected: " + judged.describe());
                expectClosed(raw, judged.errorFrameStart() < stream.bytes().length);
                return true;
            }
            if (stream.halfClose()) {
                expectClosed(raw, false);
            }
            return false;
        }
    }

    /**
     * PROTOCOL-v1, "Closing": a client that half-closes after sending requests still gets their replies, and a server
     * never closes first while the client may still have descriptor messages to read. A server that closed as soon as
     * its last write completed would fail it: a Netty epoll client that gets EPOLLRDHUP goes on reading past the
     * frame and descriptor boundaries its allocator sets (Netty's {@code EpollRecvByteAllocatorHandle.continueReading}
     * ignores the allocator once RDHUP arrived), and this one takes its descriptors slowly, with the channel in
     * descriptors mode (not auto-reading, so the decoder does not take them itself).
     */
    @Test
    void halfClosingClientGetsAllItsDescriptors() throws Exception {
        List<byte[]> three = List.of("courses.txt", "campusinfo.txt", "contacts.txt").stream()
                .map(name -> name.getBytes(StandardCharsets.US_ASCII)).toList();
        ByteArrayOutputStream requests = new ByteArrayOutputStream();
        for (int id = 0; id < 10; id++) {
            requests.writeBytes(request(id, three.size(), three, 0));
        }
        try (FdPassServer server = server().start(); RawClient raw = new RawClient(transport(), socket)) {
            raw.readDescriptorsEvery(2); // a client that takes its descriptors a little slower than they come
            raw.write(requests.toByteArray());
            raw.shutdownOutput();
            for (int id = 0; id < 10; id++) {
                assertEquals(id, raw.next(FdPassReply.class).id());
                for (String content : List.of(COURSES, CAMPUSINFO, CONTACTS)) {
                    FileDescriptor fd = raw.next(FileDescriptor.class);
                    ByteBuffer bytes = ByteBuffer.allocate(64);
                    try {
                        assertTrue(pread(fd.intValue(), bytes, 0) >= 0, "pread");
                    } finally {
                        fd.close();
                    }
                    assertEquals(content, new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8));
                }
            }
            assertSame(RawClient.CLOSED, raw.next());
        }
    }

    /**
     * The server's close. A server that closes while input it has not read is left (junk after the fault) makes
     * the kernel reset the connection, which the client may see first: it has read everything by then.
     */
    private static void expectClosed(RawClient raw, boolean mayReset) throws Exception {
        Object next = raw.next();
        if (mayReset && next instanceof IOException) {
            next = raw.next();
        }
        assertSame(RawClient.CLOSED, next, () -> "expected the server to close");
    }

    private void expectReply(RawClient raw, byte[] frame) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(frame, 5, frame.length - 5);
        int id = b.getInt();
        int count = b.getShort() & 0xffff;
        byte[][] requested = new byte[count][];
        for (int i = 0; i < count; i++) {
            requested[i] = new byte[b.getShort() & 0xffff];
            b.get(requested[i]);
        }
        Object next = raw.next();
        FdPassReply reply = assertInstanceOf(FdPassReply.class, next, () -> "expected the REPLY to request " + id);
        assertEquals(id, reply.id(), "REPLY id");
        assertEquals(count, reply.count(), "REPLY count");
        for (int i = 0; i < count; i++) {
            Object fate = fate(requested[i]);
            String name = new String(requested[i], StandardCharsets.UTF_8);
            FileStatus status = reply.status(i);
            if (fate instanceof FileStatus expected) {
                assertEquals(expected, status, () -> "status of " + abbreviate(name));
                assertEquals(0, reply.size(i));
            } else if (fate instanceof String content) {
                assertEquals(FileStatus.OK, status, () -> "status of " + name);
                assertEquals(content.length(), reply.size(i), () -> "size of " + name);
            }
        }
        for (int i = 0; i < count; i++) {
            if (reply.status(i) != FileStatus.OK) {
                continue;
            }
            FileDescriptor fd = raw.next(FileDescriptor.class);
            ByteBuffer bytes = ByteBuffer.allocate(64);
            try {
                assertTrue(pread(fd.intValue(), bytes, 0) >= 0, "pread");
            } finally {
                fd.close();
            }
            if (fate(requested[i]) instanceof String content) {
                String name = new String(requested[i], StandardCharsets.UTF_8);
                assertEquals(content, new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8),
                        () -> "content of " + name);
            }
        }
    }

    private static String abbreviate(String name) {
        return name.length() > 40 ? name.substring(0, 20) + "...(" + name.length() + ")" : name;
    }
}
