package io.fdpass.spi;

import io.fdpass.codec.FdPassSocketReader;
import io.netty.channel.unix.FileDescriptor;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * {@link FdPassSocket#completionBased}'s reader: descriptor messages taken with {@link UnixSocketReader}'s
 * {@code recvmsg(2)}, at the moments the decoder knows that no receive of the channel's is in flight, and waited for
 * with the transport's {@link FdPassSocket.Readiness}; no bytes read.
 */
final class AwaitingSocketReader implements FdPassSocketReader {
    private final FdPassSocket.Readiness readiness;

    AwaitingSocketReader(FdPassSocket.Readiness readiness) {
        this.readiness = Objects.requireNonNull(readiness, "readiness");
    }

    @Override
    public boolean receivesDescriptors() {
        return UnixSocketReader.INSTANCE.receivesDescriptors();
    }

    @Override
    public int receiveDescriptor(int socketFd) {
        return UnixSocketReader.INSTANCE.receiveDescriptor(socketFd);
    }

    @Override
    public boolean awaitsReadable() {
        return true;
    }

    @Override
    public void awaitReadable(Runnable ready) {
        readiness.awaitReadable(ready);
    }

    @Override
    public boolean readsBytes() {
        return false;
    }

    @Override
    public long read(int socketFd, ByteBuffer dst) {
        throw new UnsupportedOperationException("a channel that keeps a receive in flight is read by it alone");
    }

    @Override
    public int setCloseOnExec(FileDescriptor fd) {
        return UnixSocketReader.INSTANCE.setCloseOnExec(fd);
    }

    @Override
    public void close(FileDescriptor fd) {
        UnixSocketReader.INSTANCE.close(fd);
    }

    @Override
    public String toString() {
        return "AwaitingSocketReader(" + readiness + ")";
    }
}
