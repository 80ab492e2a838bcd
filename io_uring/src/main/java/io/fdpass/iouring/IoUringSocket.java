package io.fdpass.iouring;

import io.fdpass.Peer;
import io.fdpass.codec.FdPassSocketReader;
import io.fdpass.spi.FdPassSocket;
import io.netty.channel.ChannelHandler;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDomainSocketChannel;

import java.io.IOException;

/**
 * An io_uring channel's {@link FdPassSocket#completionBased} socket, whose reader refuses a channel that reads into
 * a buffer ring: its receive is multishot, in flight all the time, and takes what the ring's buffers hold rather than
 * what the client's decoder asks for, past a frame's end into a descriptor message.
 */
final class IoUringSocket implements FdPassSocket {
    private final IoUringDomainSocketChannel channel;
    private final FdPassSocket socket;

    IoUringSocket(IoUringDomainSocketChannel channel, FdPassSocket socket) {
        this.channel = channel;
        this.socket = socket;
    }

    @Override
    public FdPassSocketReader reader() {
        Short group = channel.config().getOption(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID);
        if (group != null && group >= 0) {
            throw new IllegalStateException("channel: " + channel + " reads into buffer ring " + group
                    + " (IO_URING_BUFFER_GROUP_ID): the fdpass client decoder needs reads of the sizes it asks for "
                    + "(expected: no buffer group)");
        }
        return socket.reader();
    }

    @Override
    public ChannelHandler connectionHandler() {
        return socket.connectionHandler();
    }

    @Override
    public Peer peer() throws IOException {
        return socket.peer();
    }

    @Override
    public int unreadBytes() {
        return socket.unreadBytes();
    }

    @Override
    public int sendBufferSize() {
        return socket.sendBufferSize();
    }

    @Override
    public void discardInput() {
        socket.discardInput();
    }

    @Override
    public UnreadWatch watchUnread() {
        return socket.watchUnread();
    }

    @Override
    public String toString() {
        return "IoUringSocket(" + channel + ")";
    }
}
