package io.fdpass.iouring;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractBackpressureTest;

class IoUringBackpressureTest extends AbstractBackpressureTest {
    @Override
    protected FdPassTransport transport() {
        return IoUringTransport.INSTANCE;
    }
}
