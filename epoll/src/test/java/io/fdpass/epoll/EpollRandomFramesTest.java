package io.fdpass.epoll;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractRandomFramesTest;

class EpollRandomFramesTest extends AbstractRandomFramesTest {
    @Override
    protected FdPassTransport transport() {
        return EpollTransport.INSTANCE;
    }
}
