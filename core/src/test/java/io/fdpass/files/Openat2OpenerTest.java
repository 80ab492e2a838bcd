package io.fdpass.files;

import io.fdpass.internal.FileStat;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.Opens;
import io.fdpass.internal.Platform;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The type-first way with openat2, where the temporary directory is. */
class Openat2OpenerTest extends AbstractBeneathOpenerTest {
    @BeforeEach
    void needsOpenat2() {
        assumeOpenat2();
    }

    static void assumeOpenat2() {
        assumeTrue(Platform.LINUX, "openat2 is Linux's");
        int fd = Opens.openat2(Opens.AT_FDCWD, "/", Opens.O_PATH, 0);
        assumeTrue(fd != -Errno.ENOSYS && fd != -Errno.EPERM, "openat2 (Linux 5.6+)");
        Descriptors.close(fd);
    }

    @Override
    BeneathOpener opener(boolean allowMounts, int rootFd) {
        return new Openat2Opener(allowMounts, device(rootFd), FileStat.mountId(rootFd));
    }
}
