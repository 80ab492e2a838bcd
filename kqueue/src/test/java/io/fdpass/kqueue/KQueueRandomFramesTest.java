package io.fdpass.kqueue;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractRandomFramesTest;

class KQueueRandomFramesTest extends AbstractRandomFramesTest {
    @Override
    protected FdPassTransport transport() {
        return KQueueTransport.INSTANCE;
    }
}
