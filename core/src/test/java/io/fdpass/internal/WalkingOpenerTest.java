package io.fdpass.internal;

class WalkingOpenerTest extends AbstractBeneathOpenerTest {
    private final BeneathOpener opener = new WalkingOpener();

    @Override
    BeneathOpener opener() {
        return opener;
    }
}
