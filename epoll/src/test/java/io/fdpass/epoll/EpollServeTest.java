package io.fdpass.epoll;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractServeTest;

class EpollServeTest extends AbstractServeTest {
    @Override
    protected FdPassTransport transport() {
        return EpollTransport.INSTANCE;
    }
}
