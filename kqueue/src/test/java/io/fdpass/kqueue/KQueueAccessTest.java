package io.fdpass.kqueue;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractAccessTest;

class KQueueAccessTest extends AbstractAccessTest {
    @Override
    protected FdPassTransport transport() {
        return KQueueTransport.INSTANCE;
    }
}
