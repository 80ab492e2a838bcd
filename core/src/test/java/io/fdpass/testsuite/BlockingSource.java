package io.fdpass.testsuite;

import io.fdpass.FileSource;
import io.fdpass.OpenResult;
import io.fdpass.Peer;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Opens beneath a root, but each open first waits until the test releases it: holds requests "in flight" for as
 * long as a test needs, without sleeping. It says it may block, so the server opens off the event loop.
 */
final class BlockingSource implements FileSource {
    private final FileSource delegate;
    private final CountDownLatch released = new CountDownLatch(1);
    private final Semaphore entered = new Semaphore(0);

    BlockingSource(FileSource delegate) {
        this.delegate = delegate;
    }

    @Override
    public OpenResult open(String name, Peer peer) {
        entered.release();
        try {
            if (!released.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the open of " + name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return delegate.open(name, peer);
    }

    /** Waits until an open has started: the server has read and is answering a request. */
    void awaitEntered() throws InterruptedException {
        if (!entered.tryAcquire(10, TimeUnit.SECONDS)) {
            throw new AssertionError("no open started within 10 s");
        }
    }

    void release() {
        released.countDown();
    }

    @Override
    public void close() {
        release();
        delegate.close();
    }
}
