package io.fdpass.files;


/** The walk as it runs where there is no O_PATH (macOS, the BSDs): on macOS, and on Linux too. */
class PortableWalkingOpenerTest extends AbstractBeneathOpenerTest {
    private final BeneathOpener opener = new WalkingOpener(false);

    @Override
    BeneathOpener opener() {
        return opener;
    }
}
