package io.fdpass.kqueue;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractCloseOnExecTest;

class KQueueCloseOnExecTest extends AbstractCloseOnExecTest {
    @Override
    protected FdPassTransport transport() {
        return KQueueTransport.INSTANCE;
    }
}
