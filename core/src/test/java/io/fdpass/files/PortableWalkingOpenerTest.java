package io.fdpass.files;


/** The walk as it runs where there is no O_PATH (macOS, the BSDs): on macOS, and on Linux too. */
class PortableWalkingOpenerTest extends AbstractBeneathOpenerTest {
    @Override
    BeneathOpener opener(boolean allowMounts, int rootFd) {
        return new WalkingOpener(false, allowMounts, device(rootFd));
    }
}
