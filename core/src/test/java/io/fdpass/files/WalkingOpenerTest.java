package io.fdpass.files;

import io.fdpass.internal.Opens;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The walk with O_PATH, Linux's fallback where openat2 is missing. */
class WalkingOpenerTest extends AbstractBeneathOpenerTest {
    private final BeneathOpener opener = new WalkingOpener(true);

    @BeforeEach
    void needsOPath() {
        assumeTrue(Opens.O_PATH != 0, "O_PATH (Linux)");
    }

    @Override
    BeneathOpener opener() {
        return opener;
    }
}
