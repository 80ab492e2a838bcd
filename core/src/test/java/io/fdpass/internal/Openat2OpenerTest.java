package io.fdpass.internal;

import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

class Openat2OpenerTest extends AbstractBeneathOpenerTest {
    @BeforeEach
    void needsOpenat2() {
        assumeTrue(Native.LINUX, "openat2 is Linux's");
        int fd = Native.openat2(Native.AT_FDCWD, "/", Native.O_PATH, 0);
        assumeTrue(fd != -Native.ENOSYS && fd != -Native.EPERM, "openat2 (Linux 5.6+)");
        Native.close(fd);
    }

    @Override
    BeneathOpener opener() {
        return Openat2Opener.INSTANCE;
    }
}
