package io.fdpass.epoll;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractHostileNamesTest;

/** The hostile names on a root whose mount is nodev: the server opens them at once, then checks. */
class EpollNodevHostileNamesTest extends AbstractHostileNamesTest {
    @Override
    protected FdPassTransport transport() {
        return EpollTransport.INSTANCE;
    }

    @Override
    protected boolean nodevRoot() {
        return true;
    }
}
