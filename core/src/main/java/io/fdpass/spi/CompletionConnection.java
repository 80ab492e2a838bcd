package io.fdpass.spi;

import io.fdpass.internal.Errno;
import io.fdpass.internal.FileReads;
import io.fdpass.internal.SocketCalls;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.ReferenceCountUtil;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * {@link FdPassSocket#connectionHandler()} of a {@link FdPassSocket#completionBased} socket, first in a server's
 * connection pipeline: it reads and writes the socket itself, where Netty 4.2.18's io_uring domain socket channel
 * does not do what an fdpass server needs.
 *
 * <p><b>Reading.</b> That channel ignores {@code ALLOW_HALF_CLOSURE} (it takes it from a {@code SocketChannelConfig},
 * which its config is not) and closes at the peer's end of stream, so a client that half-closes after its requests
 * would lose their replies. Its receive, in flight while it waits, completes with that end before any handler hears
 * of it. So the channel is never asked to read: this handler takes the reads asked for, waits with
 * {@link FdPassSocket.Readiness#awaitReadable}, and reads with {@code read(2)} itself, as a read loop does (an
 * adaptive buffer, as many reads as the channel's config allows, the reads it is asked for while auto-read is off).
 * At the end of the stream it shuts the channel's input down and fires {@link ChannelInputShutdownEvent} and
 * {@link ChannelInputShutdownReadComplete}, as a channel that allows half-closure does. The channel still reads
 * when its peer shuts down (its own poll for {@code POLLRDHUP}, which reads whatever auto-read says): this handler's
 * own poll for it ({@link FdPassSocket.Readiness#awaitInputShutdown}) completes with it, before that read is
 * submitted, and shuts the input down first, so that the channel then hears of it as half-closure too.
 *
 * <p><b>Writing.</b> That channel sends a descriptor from a message header whose memory it never clears (it takes
 * it to be zeroed; on JDK 24 and later Netty's allocator may hand out {@code malloc}'s), so that all of a
 * connection's sends fail with {@code EISCONN} when the name length there is not 0; and it keeps one write in
 * flight, a turn of its ring for each, so that a REPLY's descriptors each wait for a completion. This handler writes
 * what a server writes, in order, itself: bytes with {@link SocketCalls#send}, descriptors with
 * {@link SocketCalls#sendDescriptor}, as many as the socket takes at once, the rest once
 * {@link FdPassSocket.Readiness#awaitWritable} says it has room (as Netty's epoll channel does). Anything else goes
 * to the channel, and what follows waits until it is written. As the channel does, it releases each message once
 * written or failed (an fdpass server's descriptors close then), and when a write fails it fails every flushed
 * write not done yet with the same cause and closes the channel.
 *
 * <p>One per channel, on its event loop.
 */
final class CompletionConnection extends ChannelDuplexHandler {
    private final UnixChannel channel;
    private final FdPassSocket.Readiness readiness;
    private ChannelHandlerContext ctx;

    // Reading.
    private final RecvByteBufAllocator.Handle reads = new AdaptiveRecvByteBufAllocator().newHandle();
    /** A read asked for and not done yet. */
    private boolean readAsked;
    private boolean readable;
    private boolean reading;
    private boolean hangupWatched;
    /** The end of the stream seen, or the input shut down: nothing more to read. */
    private boolean inputShut;

    // Writing.
    /** Writes not written yet, in order. */
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    /** How many of {@link #held}, from its head, were flushed: written as soon as they may be. */
    private int flushed;
    /** The last write passed on to the channel: what this handler writes after it waits until it is done. */
    private ChannelFuture lastPassed;
    /** Whether writing waits, for {@link #lastPassed} or for room in the socket. */
    private boolean sendWaits;
    private final ByteBuffer[] gather = new ByteBuffer[SocketCalls.MAX_GATHERED];

    private record Held(Object msg, ChannelPromise promise) {
    }

    private final Runnable onReadable = this::readable;
    private final Runnable onWritable = this::resumeSending;

    CompletionConnection(UnixChannel channel, FdPassSocket.Readiness readiness) {
        this.channel = channel;
        this.readiness = readiness;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            watchHangup();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        watchHangup();
        super.channelActive(ctx);
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (inputShut) {
            return;
        }
        readAsked = true;
        if (!reading) {
            awaitReadable();
        }
    }

    private void awaitReadable() {
        if (!readable && !inputShut && channel.isOpen()) {
            readable = true;
            readiness.awaitReadable(onReadable);
        }
    }

    private void readable() {
        readable = false;
        if (!readAsked && !ctx.channel().config().isAutoRead()) {
            return; // asked to stop meanwhile: the next read asked for waits again
        }
        readAsked = false;
        readLoop();
        if (!inputShut && (readAsked || ctx.channel().config().isAutoRead())) {
            awaitReadable();
        }
    }

    /** Reads what is there, as a channel's read loop does, and passes it on. */
    private void readLoop() {
        reading = true;
        reads.reset(ctx.channel().config());
        boolean ended = false;
        try {
            do {
                if (!channel.isOpen()) {
                    return;
                }
                ByteBuf buffer = reads.allocate(ctx.alloc());
                long n;
                try {
                    n = FileReads.read(channel.fd().intValue(), buffer.nioBuffer(buffer.writerIndex(),
                            buffer.writableBytes()));
                } catch (RuntimeException e) {
                    buffer.release();
                    throw e;
                }
                reads.attemptedBytesRead(buffer.writableBytes());
                if (n <= 0) {
                    buffer.release();
                    reads.lastBytesRead(n == 0 ? -1 : 0);
                    if (n == 0) {
                        ended = true;
                    } else if (n != -Errno.EAGAIN && n != -Errno.EINTR) {
                        ctx.fireChannelReadComplete();
                        ctx.fireExceptionCaught(Errors.newIOException("read", (int) n));
                        ctx.close();
                        return;
                    }
                    break;
                }
                buffer.writerIndex(buffer.writerIndex() + (int) n);
                reads.lastBytesRead((int) n);
                reads.incMessagesRead(1);
                ctx.fireChannelRead(buffer);
            } while (reads.continueReading());
            reads.readComplete();
            ctx.fireChannelReadComplete();
            if (ended && !inputShut) {
                // Half-closure, reported as a channel that allows it does.
                inputShut = true;
                shutDownInput();
                ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
                ctx.fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
            }
        } finally {
            reading = false;
        }
    }

    private void watchHangup() {
        if (!hangupWatched && channel.isOpen()) {
            hangupWatched = true;
            readiness.awaitInputShutdown(this::hangup);
        }
    }

    /** The peer shut its output down: the channel's own read at its end must not close it. */
    private void hangup() {
        if (!inputShut) {
            shutDownInput();
        }
    }

    private void shutDownInput() {
        if (channel instanceof DuplexChannel duplex && !duplex.isInputShutdown()) {
            duplex.shutdownInput(); // on the event loop: at once
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        // The channel's own read (at the peer's shutdown) found the end: as if this handler had read it.
        if (evt == ChannelInputShutdownReadComplete.INSTANCE && !inputShut) {
            inputShut = true;
            ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
        super.userEventTriggered(ctx, evt);
    }

    // ---- writing ----------------------------------------------------------------------------------------------

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (held.isEmpty() && !(msg instanceof ByteBuf) && !(msg instanceof FileDescriptor)) {
            pass(msg, promise); // not a server's (a FileRegion, say): the channel's, in order
        } else {
            held.add(new Held(msg, promise));
        }
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        flushed = held.size();
        if (flushed > 0 && !sendWaits) {
            send();
        }
        ctx.flush();
    }

    /** Sends what was flushed, in order, until the socket is full or the channel's own write has to end first. */
    private void send() {
        boolean passed = false;
        while (flushed > 0) {
            Held next = held.peek();
            Object msg = next.msg();
            if (!(msg instanceof ByteBuf) && !(msg instanceof FileDescriptor)) {
                held.poll();
                flushed--;
                pass(msg, next.promise());
                passed = true;
                continue;
            }
            if (lastPassed != null && !lastPassed.isDone()) {
                if (passed) {
                    ctx.flush();
                }
                sendWaits = true;
                lastPassed.addListener(done -> resumeSending());
                return;
            }
            if (!channel.isOpen()) {
                failHeld(new ClosedChannelException());
                return;
            }
            int fd = channel.fd().intValue();
            long sent;
            boolean done;
            if (msg instanceof FileDescriptor descriptor) {
                sent = SocketCalls.sendDescriptor(fd, descriptor.intValue());
                done = sent > 0;
            } else {
                int gathered = gatherBytes();
                if (gathered > 1) {
                    // Bytes flushed together go as one message, as a gathering write sends them (HELLO and the
                    // ERROR of a refusal are read together).
                    sent = SocketCalls.send(fd, gather, gathered);
                    Arrays.fill(gather, 0, gathered, null);
                    if (sent > 0 && completeGathered(sent, gathered)) {
                        continue;
                    }
                    done = false;
                } else {
                    ByteBuf bytes = (ByteBuf) msg;
                    sent = bytes.isReadable() ? SocketCalls.send(fd, bytes.nioBuffer()) : 0;
                    if (sent > 0) {
                        bytes.skipBytes((int) sent);
                    }
                    done = !bytes.isReadable();
                }
            }
            if (!done && (sent >= 0 || sent == -Errno.EAGAIN)) {
                sendWaits = true; // the socket is full: the rest once it has room
                readiness.awaitWritable(onWritable);
                return;
            }
            held.poll();
            flushed--;
            ReferenceCountUtil.release(msg);
            if (!done) {
                Errors.NativeIoException failure = Errors.newIOException(msg instanceof ByteBuf ? "send" : "sendmsg",
                        (int) sent);
                next.promise().tryFailure(failure);
                failHeld(failure);
                ctx.close();
                return;
            }
            next.promise().trySuccess();
        }
        if (passed) {
            ctx.flush();
        }
    }

    /**
     * The flushed byte buffers at the head of {@link #held}, as one direct buffer each, into {@link #gather}: how many
     * (at most {@link SocketCalls#MAX_GATHERED}); 1 where the first is not such a buffer.
     */
    private int gatherBytes() {
        int n = 0;
        for (Held h : held) {
            if (n == flushed || n == SocketCalls.MAX_GATHERED || !(h.msg() instanceof ByteBuf bytes)
                    || !bytes.isDirect() || bytes.nioBufferCount() != 1) {
                break;
            }
            gather[n++] = bytes.nioBuffer();
        }
        return Math.max(n, 1);
    }

    /**
     * Takes {@code sent} bytes off the {@code gathered} buffers at the head of {@link #held}, completing the whole ones;
     * whether all of them were.
     */
    private boolean completeGathered(long sent, int gathered) {
        for (int i = 0; i < gathered; i++) {
            Held h = held.peek();
            ByteBuf bytes = (ByteBuf) h.msg();
            int n = (int) Math.min(sent, bytes.readableBytes());
            bytes.skipBytes(n);
            sent -= n;
            if (bytes.isReadable()) {
                return false;
            }
            held.poll();
            flushed--;
            bytes.release();
            h.promise().trySuccess();
        }
        return true;
    }

    private void resumeSending() {
        sendWaits = false;
        send();
    }

    /**
     * On to the channel, noting when it is done: a void promise, which tells nothing, stands in for a new one. For
     * what the server does not write itself: this handler's sends wait until it is done.
     */
    private void pass(Object msg, ChannelPromise promise) {
        ChannelPromise observed = promise;
        if (promise.isVoid()) {
            observed = ctx.newPromise();
            observed.addListener(done -> {
                if (!done.isSuccess()) {
                    promise.tryFailure(done.cause());
                }
            });
        }
        lastPassed = observed;
        ctx.write(msg, observed);
    }

    /** Fails and releases every held write, as a channel does its writes when it closes or a write fails. */
    private void failHeld(Throwable cause) {
        flushed = 0;
        for (Held h; (h = held.poll()) != null; ) {
            ReferenceCountUtil.safeRelease(h.msg());
            h.promise().tryFailure(cause);
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
        failHeld(new ClosedChannelException());
        super.close(ctx, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        failHeld(new ClosedChannelException());
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        failHeld(new ClosedChannelException());
    }
}
