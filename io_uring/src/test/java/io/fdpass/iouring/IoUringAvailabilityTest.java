package io.fdpass.iouring;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractAvailabilityTest;

class IoUringAvailabilityTest extends AbstractAvailabilityTest {
    @Override
    protected FdPassTransport transport() {
        return IoUringTransport.INSTANCE;
    }
}
