package io.fdpass.epoll;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractCloseOnExecTest;

class EpollCloseOnExecTest extends AbstractCloseOnExecTest {
    @Override
    protected FdPassTransport transport() {
        return EpollTransport.INSTANCE;
    }
}
