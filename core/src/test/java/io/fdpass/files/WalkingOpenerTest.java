package io.fdpass.files;

import io.fdpass.internal.Opens;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The walk with O_PATH, Linux's fallback where openat2 is missing. */
class WalkingOpenerTest extends AbstractBeneathOpenerTest {
    @BeforeEach
    void needsOPath() {
        assumeTrue(Opens.O_PATH != 0, "O_PATH (Linux)");
    }

    @Override
    BeneathOpener opener(boolean allowMounts, int rootFd) {
        return new WalkingOpener(true, allowMounts, device(rootFd));
    }
}
