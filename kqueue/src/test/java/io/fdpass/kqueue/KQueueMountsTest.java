package io.fdpass.kqueue;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractMountsTest;

class KQueueMountsTest extends AbstractMountsTest {
    @Override
    protected FdPassTransport transport() {
        return KQueueTransport.INSTANCE;
    }
}
