package io.fdpass.iouring;

import io.fdpass.spi.FdPassTransport;
import io.fdpass.testsuite.AbstractRandomFramesTest;

class IoUringRandomFramesTest extends AbstractRandomFramesTest {
    @Override
    protected FdPassTransport transport() {
        return IoUringTransport.INSTANCE;
    }
}
