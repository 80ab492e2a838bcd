package io.fdpass.spi;

import io.fdpass.codec.FdPassSocketReader;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.FileReads;
import io.fdpass.internal.Platform;
import io.fdpass.internal.SocketCalls;
import io.netty.channel.unix.FileDescriptor;

import java.nio.ByteBuffer;

/**
 * The client decoder's system calls: descriptor messages taken on Linux only (its msghdr layout, and
 * {@code MSG_CMSG_CLOEXEC}), bytes read on Linux and macOS: for the channels of a readiness transport, whose
 * descriptor may be read between the channel's own reads.
 */
final class UnixSocketReader implements FdPassSocketReader {
    static final UnixSocketReader INSTANCE = new UnixSocketReader();

    private UnixSocketReader() {
    }

    @Override
    public boolean receivesDescriptors() {
        return Platform.LINUX;
    }

    @Override
    public int receiveDescriptor(int socketFd) {
        int fd = SocketCalls.receiveDescriptor(socketFd);
        return fd >= 0 ? fd : fd == SocketCalls.NOT_ONE_DESCRIPTOR ? NOT_ONE_DESCRIPTOR
                : fd == -Errno.EAGAIN || fd == -Errno.EINTR ? NOTHING : ENDED;
    }

    @Override
    public boolean readsBytes() {
        return Platform.AVAILABLE;
    }

    @Override
    public long read(int socketFd, ByteBuffer dst) {
        return FileReads.read(socketFd, dst);
    }

    @Override
    public int setCloseOnExec(FileDescriptor fd) {
        return Descriptors.setCloseOnExec(fd);
    }

    @Override
    public void close(FileDescriptor fd) {
        Descriptors.closeQuietly(fd);
    }

    @Override
    public String toString() {
        return "UnixSocketReader";
    }
}
