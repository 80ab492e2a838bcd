package io.fdpass.iouring;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractHostileNamesTest;

/** The hostile names on a root whose mount is nodev: the server opens them at once, then checks. */
class IoUringNodevHostileNamesTest extends AbstractHostileNamesTest {
    @Override
    protected FdPassTransport transport() {
        return IoUringTransport.INSTANCE;
    }

    @Override
    protected boolean nodevRoot() {
        return true;
    }
}
