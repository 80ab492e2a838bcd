package io.fdpass.iouring;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractCloseOnExecTest;

class IoUringCloseOnExecTest extends AbstractCloseOnExecTest {
    @Override
    protected FdPassTransport transport() {
        return IoUringTransport.INSTANCE;
    }
}
