package io.fdpass.testsuite;

import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;
import io.fdpass.internal.Descriptors;
import io.fdpass.server.FdPassServer;
import io.fdpass.testing.TestSyscalls;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Received descriptors are close-on-exec the moment they arrive: no child process inherits one. */
public abstract class AbstractCloseOnExecTest extends AbstractFdPassTest {

    @Test
    void everyReceivedDescriptorIsCloseOnExecAndNoChildInheritsOne() throws Throwable {
        List<Integer> fds = new ArrayList<>();
        try (FdPassServer server = server().start(); FdPassClient client = connect()) {
            for (int i = 0; i < 10; i++) {
                try (ReceivedReply reply = client.request("courses.txt", "campusinfo.txt", "contacts.txt").join()) {
                    for (ReceivedReply.Entry entry : reply.entries()) {
                        fds.add(entry.file().detach());
                    }
                }
            }
        }
        try {
            for (int fd : fds) {
                int flags = Descriptors.getFdFlags(fd);
                assertTrue(flags >= 0, "F_GETFD failed on " + fd);
                assertEquals(Descriptors.FD_CLOEXEC, flags & Descriptors.FD_CLOEXEC, "descriptor " + fd + " is inheritable");
            }
            String inherited = descriptorsAChildSees();
            assertFalse(inherited.contains(root.toString()), "a child inherited a received descriptor:\n"
                    + inherited);

            // The control: the same child does see a received descriptor once close-on-exec is cleared.
            assertEquals(0, TestSyscalls.clearDescriptorFlags(fds.getFirst()));
            assertTrue(descriptorsAChildSees().contains(root.resolve("courses.txt").toString()),
                    "the check cannot see inherited descriptors");
        } finally {
            for (int fd : fds) {
                Descriptors.close(fd);
            }
        }
    }

    /**
     * What a child started by fork and exec finds open in itself: {@code ls -l /proc/self/fd} on Linux,
     * {@code lsof} of the shell itself where there is no /proc (macOS).
     */
    private String descriptorsAChildSees() throws Throwable {
        Path out = dir.resolve("child-fds.txt");
        String list = Files.isDirectory(Path.of("/proc/self/fd")) ? "ls -l /proc/self/fd/" : "lsof -a -p $$ -Fn";
        assertEquals(0, TestSyscalls.system(list + " > " + out + " 2>&1"));
        return Files.readString(out);
    }
}
