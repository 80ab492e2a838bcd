package io.fdpass.spi;

import io.fdpass.Peer;
import io.fdpass.codec.FdPassSocketReader;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.SocketCalls;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.unix.UnixChannel;

import java.io.IOException;

/**
 * {@link FdPassSocket#unix} and {@link FdPassSocket#completionBased}: the system calls on the channel's own
 * descriptor.
 */
final class UnixSocket implements FdPassSocket {
    private final UnixChannel channel;
    private final Credentials credentials;
    private final FdPassSocketReader reader;
    /** Null for a readiness transport's channel, which needs no {@link #connectionHandler()}. */
    private final Readiness readiness;

    UnixSocket(UnixChannel channel, Credentials credentials, FdPassSocketReader reader, Readiness readiness) {
        this.channel = channel;
        this.credentials = credentials;
        this.reader = reader;
        this.readiness = readiness;
    }

    @Override
    public Peer peer() throws IOException {
        return FdPassTransport.peerOf(credentials.read());
    }

    @Override
    public int unreadBytes() {
        return channel.isOpen() ? SocketCalls.socketOutq(fd()) : -1;
    }

    @Override
    public int sendBufferSize() {
        Integer size = channel.config().getOption(ChannelOption.SO_SNDBUF);
        return size == null ? -1 : size;
    }

    @Override
    public void discardInput() {
        if (channel.isOpen()) {
            SocketCalls.discardInput(fd());
        }
    }

    @Override
    public UnreadWatch watchUnread() {
        int copy = channel.isOpen() ? Descriptors.dup(fd()) : -1;
        if (copy < 0) {
            return null;
        }
        // The client then sees the end of the stream, though the socket outlives its channel.
        SocketCalls.shutdown(copy, SocketCalls.SHUT_RDWR);
        return new Watch(copy);
    }

    @Override
    public ChannelHandler connectionHandler() {
        return readiness == null ? null : new CompletionConnection(channel, readiness);
    }

    @Override
    public FdPassSocketReader reader() {
        return reader;
    }

    private int fd() {
        return channel.fd().intValue();
    }

    @Override
    public String toString() {
        return "UnixSocket(" + channel + ")";
    }

    /** A duplicate of the socket's descriptor. */
    private static final class Watch implements UnreadWatch {
        private int fd;

        Watch(int fd) {
            this.fd = fd;
        }

        @Override
        public synchronized int unreadBytes() {
            return fd < 0 ? -1 : SocketCalls.socketOutq(fd);
        }

        @Override
        public synchronized void close() {
            if (fd >= 0) {
                Descriptors.close(fd);
                fd = -1;
            }
        }
    }
}
