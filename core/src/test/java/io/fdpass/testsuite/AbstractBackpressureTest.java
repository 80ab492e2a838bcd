package io.fdpass.testsuite;

import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;
import io.fdpass.codec.FdPassReply;
import io.fdpass.internal.Descriptors;
import io.fdpass.server.FdPassServer;
import io.fdpass.testing.Fds;
import io.fdpass.testing.TestFrames;
import io.netty.channel.unix.FileDescriptor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that does not read must not make the server throw, leak or stall others: it is held back, not dropped,
 * and once it reads it gets everything. Netty cannot wait for room to send a descriptor, so the server must never
 * fill the socket.
 */
public abstract class AbstractBackpressureTest extends AbstractFdPassTest {
    private static final String[] SIXTY_FOUR = names(64);

    private static String[] names(int count) {
        String[] names = new String[count];
        String[] scenario = {"courses.txt", "campusinfo.txt", "contacts.txt"};
        for (int i = 0; i < count; i++) {
            names[i] = scenario[i % 3];
        }
        return names;
    }

    /** {@code count} REQUEST frames of 64 names, ids 0.., as one block of bytes. */

    @Test
    void aFlooderThatDoesNotReadIsHeldBackOthersAreServedAndItLosesNothing() throws Exception {
        int requests = 1000;
        try (FdPassServer server = server().start(); FdPassClient other = connect()) {
            int baseline = Fds.count();
            try (RawClient flooder = new RawClient(transport(), socket)) {
                flooder.stopReading();
                flooder.writeLater(TestFrames.requests(requests, SIXTY_FOUR));

                // Meanwhile another client is served, correctly, request after request.
                for (int i = 0; i < 300; i++) {
                    try (ReceivedReply reply = other.request(SIXTY_FOUR).join()) {
                        assertTrue(reply.allOk());
                        assertEquals(CONTACTS, AbstractServeTest.readAll(reply.entry(2).file()));
                    }
                }
                // The server stopped reading the flooder (its requests wait in its own socket), and it holds the
                // connection rather than dropping it.
                assertFalse(flooder.allWritten(), "the server read all the flooder's requests");
                assertEquals(2, server.connectionCount());

                // Once the flooder reads, it gets every reply and every descriptor, in order.
                flooder.resumeReading();
                for (int id = 0; id < requests; id++) {
                    FdPassReply reply = flooder.next(FdPassReply.class);
                    assertEquals(id, reply.id());
                    assertEquals(64, reply.descriptorCount());
                    for (int i = 0; i < 64; i++) {
                        FileDescriptor fd = flooder.next(FileDescriptor.class);
                        assertTrue(fd.intValue() > 2);
                        Descriptors.close(fd.intValue());
                    }
                }
                assertTrue(flooder.allWritten());
            }
            Fds.assertBackTo(baseline);
        }
    }

    @Test
    void aSlowReaderGetsEveryDescriptorOfFiftyPipelinedRequests() throws Exception {
        try (FdPassServer server = server().start(); RawClient slow = new RawClient(transport(), socket)) {
            slow.readDescriptorsEvery(10);
            slow.writeLater(TestFrames.requests(50, SIXTY_FOUR));
            int descriptors = 0;
            for (int id = 0; id < 50; id++) {
                FdPassReply reply = slow.next(FdPassReply.class);
                assertEquals(id, reply.id());
                for (int i = 0; i < reply.descriptorCount(); i++) {
                    Descriptors.close(slow.next(FileDescriptor.class).intValue());
                    descriptors++;
                }
            }
            assertEquals(50 * 64, descriptors);
        }
    }
}
