package io.fdpass.server;

import io.fdpass.internal.Descriptors;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.ReferenceCounted;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * A descriptor on its way to a client, closed by its last release. Netty never closes a {@link FileDescriptor} it
 * wrote, but its channel releases every {@link ReferenceCounted} message it is done with: written, failed, or
 * dropped by a closed channel. So each descriptor of an answer closes as its own write ends, and the answer needs
 * one promise, on its last write, rather than one per descriptor.
 */
final class OutboundDescriptor extends FileDescriptor implements ReferenceCounted {
    private static final AtomicIntegerFieldUpdater<OutboundDescriptor> REFERENCES =
            AtomicIntegerFieldUpdater.newUpdater(OutboundDescriptor.class, "references");

    private volatile int references = 1;

    OutboundDescriptor(int fd) {
        super(fd);
    }

    @Override
    public int refCnt() {
        return references;
    }

    @Override
    public OutboundDescriptor retain() {
        return retain(1);
    }

    @Override
    public OutboundDescriptor retain(int increment) {
        if (increment <= 0) {
            throw new IllegalArgumentException("increment: " + increment + " (expected: > 0)");
        }
        for (;;) {
            int now = references;
            if (now == 0 || now + increment < now) {
                throw new IllegalReferenceCountException(now, increment);
            }
            if (REFERENCES.compareAndSet(this, now, now + increment)) {
                return this;
            }
        }
    }

    @Override
    public OutboundDescriptor touch() {
        return this;
    }

    @Override
    public OutboundDescriptor touch(Object hint) {
        return this;
    }

    @Override
    public boolean release() {
        return release(1);
    }

    @Override
    public boolean release(int decrement) {
        if (decrement <= 0) {
            throw new IllegalArgumentException("decrement: " + decrement + " (expected: > 0)");
        }
        for (;;) {
            int now = references;
            if (decrement > now) {
                throw new IllegalReferenceCountException(now, -decrement);
            }
            if (REFERENCES.compareAndSet(this, now, now - decrement)) {
                if (now == decrement) {
                    Descriptors.close(intValue());
                    return true;
                }
                return false;
            }
        }
    }
}
