package io.fdpass.iouring;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractAccessTest;

class IoUringAccessTest extends AbstractAccessTest {
    @Override
    protected FdPassTransport transport() {
        return IoUringTransport.INSTANCE;
    }
}
