package io.fdpass.epoll;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractMalformedFrameTest;

class EpollMalformedFrameTest extends AbstractMalformedFrameTest {
    @Override
    protected FdPassTransport transport() {
        return EpollTransport.INSTANCE;
    }
}
