package io.fdpass.codec;

import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Platform;
import io.fdpass.spi.FdPassSocket;
import io.fdpass.testing.Fds;
import io.fdpass.testing.LeakCheck;
import io.fdpass.testing.ReadModeChannel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.unix.DomainSocketReadMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.fdpass.codec.CodecTests.TestFd;
import static io.fdpass.codec.CodecTests.assertNoMoreInbound;
import static io.fdpass.codec.CodecTests.isCloseOnExec;
import static io.fdpass.codec.CodecTests.readAllOutbound;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Random valid messages through each encoder and the decoder of the other side, in random pieces. */
class FdPassRoundTripTest {
    private static final int MESSAGES = 400;

    @AfterEach
    void noLeaks() {
        CodecTests.assertAllReleased();
        LeakCheck.assertNoLeaks();
    }

    private static FdPassRequest randomRequest(Random random) {
        int count = 1 + random.nextInt(64);
        List<byte[]> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] name = new byte[random.nextInt(301)];
            random.nextBytes(name);
            names.add(name);
        }
        return new FdPassRequest(random.nextInt(), names);
    }

    private static FdPassReply randomReply(Random random) {
        int count = 1 + random.nextInt(64);
        int[] statuses = new int[count];
        long[] sizes = new long[count];
        for (int i = 0; i < count; i++) {
            int kind = random.nextInt(10);
            statuses[i] = kind < 4 ? 0 : kind < 9 ? 1 + random.nextInt(6) : random.nextInt(256);
            if (statuses[i] == 0) {
                sizes[i] = switch (random.nextInt(3)) {
                    case 0 -> 0;
                    case 1 -> random.nextInt(1 << 20);
                    default -> random.nextLong() & Long.MAX_VALUE;
                };
            }
        }
        return new FdPassReply(random.nextInt(), statuses, sizes);
    }

    @Test
    void clientEncoderToServerDecoder() {
        Random random = new Random(0xFD9A55L);
        EmbeddedChannel client = CodecTests.channel(new FdPassClientCodec(FdPassSocket.unixReader()));
        EmbeddedChannel server = CodecTests.channel(new FdPassServerCodec());
        List<FdPassRequest> sent = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            FdPassRequest request = randomRequest(random);
            sent.add(request);
            assertTrue(client.writeOutbound(request));
        }
        byte[] wire = readAllOutbound(client);
        int expectedLength = sent.stream().mapToInt(r -> 4 + r.frameLength()).sum();
        assertEquals(expectedLength, wire.length);

        // Feed the server in random pieces that ignore frame boundaries.
        for (int offset = 0; offset < wire.length; ) {
            int n = Math.min(wire.length - offset, 1 + random.nextInt(random.nextBoolean() ? 16 : 40_000));
            server.writeInbound(CodecTests.slice(wire, offset, n));
            offset += n;
        }
        for (FdPassRequest request : sent) {
            assertEquals(request, server.readInbound());
        }
        assertNoMoreInbound(server);
        assertFalse(client.finishAndReleaseAll());
        assertFalse(server.finishAndReleaseAll());
    }

    @Test
    void serverEncoderToClientDecoder(@TempDir Path dir) throws IOException {
        assumeTrue(Platform.LINUX, "descriptors through io.fdpass.internal.SocketCalls: Linux only");
        Path file = Files.write(dir.resolve("f"), new byte[3]);
        Descriptors.close(CodecTests.open(file).intValue()); // binds the natives before counting
        int fdsBefore = Fds.count();

        Random random = new Random(0x5E4DE5L);
        EmbeddedChannel server = CodecTests.channel(new FdPassServerCodec());
        ReadModeChannel client = CodecTests.readModeChannel();
        FdPassResponseDecoder decoder = new FdPassResponseDecoder(FdPassSocket.unixReader());
        client.pipeline().addLast(decoder);

        List<FdPassMessage> sent = new ArrayList<>();
        sent.add(new FdPassHello(1 + random.nextInt(64), 8192 + random.nextInt(65536 - 8192 + 1),
                1 + random.nextInt(65535)));
        for (int i = 0; i < MESSAGES; i++) {
            sent.add(randomReply(random));
        }
        byte[] message = new byte[random.nextInt(1025)];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) (0x20 + random.nextInt(0x5f));
        }
        sent.add(new FdPassError(ErrorCode.valueOf(1 + random.nextInt(5)), new String(message,
                java.nio.charset.StandardCharsets.US_ASCII)));

        int descriptors = 0;
        for (FdPassMessage msg : sent) {
            assertTrue(server.writeOutbound(msg));
            byte[] frame = readAllOutbound(server);
            // A client's reads never cross a frame: feed each frame in random pieces of its own.
            for (int offset = 0; offset < frame.length; ) {
                assertEquals(offset < 5 ? 5 - offset : frame.length - offset, decoder.bytesWanted());
                int n = Math.min(decoder.bytesWanted(), 1 + random.nextInt(frame.length));
                boolean decoded = client.writeInbound(CodecTests.slice(frame, offset, n));
                offset += n;
                assertEquals(offset == frame.length, decoded);
            }
            assertEquals(msg, client.readInbound());
            assertNoMoreInbound(client);
            int due = msg instanceof FdPassReply reply ? reply.descriptorCount() : 0;
            for (int i = 0; i < due; i++) {
                assertTrue(decoder.isReadingDescriptors());
                assertEquals(DomainSocketReadMode.FILE_DESCRIPTORS, client.readMode());
                assertEquals(0, decoder.bytesWanted());
                TestFd fd = CodecTests.open(file);
                try {
                    assertTrue(client.writeInbound(fd));
                    assertSame(fd, client.readInbound());
                    assertTrue(isCloseOnExec(fd));
                } finally {
                    fd.close();
                }
                descriptors++;
            }
            if (!(msg instanceof FdPassError)) {
                assertFalse(decoder.isReadingDescriptors());
                assertEquals(DomainSocketReadMode.BYTES, client.readMode());
                assertEquals(5, decoder.bytesWanted());
            }
        }
        assertTrue(descriptors > MESSAGES, "too few descriptors: " + descriptors);
        assertNoMoreInbound(client);
        assertFalse(server.finishAndReleaseAll());
        assertFalse(client.finishAndReleaseAll());
        assertEquals(fdsBefore, Fds.count(), "open descriptors");
    }
}
