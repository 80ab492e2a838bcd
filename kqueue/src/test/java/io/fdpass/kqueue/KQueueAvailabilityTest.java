package io.fdpass.kqueue;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractAvailabilityTest;

class KQueueAvailabilityTest extends AbstractAvailabilityTest {
    @Override
    protected FdPassTransport transport() {
        return KQueueTransport.INSTANCE;
    }
}
