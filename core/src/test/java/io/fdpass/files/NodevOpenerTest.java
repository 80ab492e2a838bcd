package io.fdpass.files;

import io.fdpass.internal.FileStat;
import org.junit.jupiter.api.BeforeEach;

/** Opening at once, then checking, on a tree of its own on a {@code nodev} tmpfs (as root; skipped otherwise). */
class NodevOpenerTest extends AbstractBeneathOpenerTest {
    @BeforeEach
    void needsOpenat2() {
        Openat2OpenerTest.assumeOpenat2();
    }

    @Override
    boolean onNodevMount() {
        return true;
    }

    @Override
    BeneathOpener opener(boolean allowMounts, int rootFd) {
        return new NodevOpener(new Openat2Opener(allowMounts, device(rootFd), FileStat.mountId(rootFd)));
    }
}
