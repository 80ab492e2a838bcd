package io.fdpass.epoll;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractAccessTest;

class EpollAccessTest extends AbstractAccessTest {
    @Override
    protected FdPassTransport transport() {
        return EpollTransport.INSTANCE;
    }
}
