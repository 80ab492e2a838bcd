package io.fdpass.codec;

import io.fdpass.AccessPolicy;
import io.fdpass.ErrorCode;
import io.fdpass.FileSource;
import io.fdpass.FileStatus;
import io.fdpass.OpenResult;
import io.fdpass.Peer;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Names;
import io.fdpass.internal.Native;
import io.fdpass.internal.Transports;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Serves one connection: sends HELLO, answers each {@link FdPassRequest} with a REPLY and one descriptor per opened
 * name, in request order, holds back under backpressure, and answers a faulty frame (or a shutdown) with an ERROR
 * and the protocol's closing rule. Place it after {@link FdPassServerCodec}; one instance per connection.
 *
 * <p>Backpressure has two bounds. A connection stops being read while it has {@code maxUnanswered} requests
 * unanswered. And no REPLY is written while the socket's send queue (SIOCOUTQ, which counts kernel memory) holds
 * more than {@code maxUnreadBytes}: Netty cannot wait for room to send a descriptor, it fails the write, so the
 * handler must never fill the queue. Nothing announces that the client read, so a timer re-checks.
 *
 * <p>Fire {@link #SHUTDOWN} through the pipeline to shut the connection down gracefully: requests already decoded
 * are answered, then ERROR SHUTTING_DOWN, then the closing rule.
 */
public final class FdPassServerHandler extends ChannelInboundHandlerAdapter {
    /** User event: answer what was read, send ERROR SHUTTING_DOWN, close per the protocol's closing rule. */
    public static final Object SHUTDOWN = new Object() {
        @Override
        public String toString() {
            return "FdPassServerHandler.SHUTDOWN";
        }
    };

    /** Linger after an ERROR, per the protocol's default. */
    public static final long DEFAULT_LINGER_MILLIS = 10_000;
    /**
     * Bound on the send queue: as much as the socket's send buffer holds with room left for a largest reply on top
     * (about 143 KiB with Linux's default 208 KiB buffer), since that is all the safety a descriptor write needs.
     */
    public static final int AUTO_MAX_UNREAD_BYTES = 0;

    /**
     * Kernel memory one descriptor message or small frame takes in a Unix socket's send queue, rounded up: 768
     * bytes were measured on x86_64 Linux 6.x (277 descriptor messages fill the default 208 KiB send buffer).
     */
    static final int MESSAGE_COST = 1024;
    /** Waits between re-checks of a full send queue: at first short, since a reading client drains it fast. */
    private static final long[] RECHECK_MICROS = {0, 20, 50, 100, 200, 500, 1000};
    private static final long CLOSE_CHECK_MILLIS = 10;

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(FdPassServerHandler.class);

    private final FdPassHello hello;
    private final FileSource source;
    private final AccessPolicy policy;
    private final long lingerMillis;
    private final int maxUnreadBytes;
    private final Executor openExecutor;
    private final FdPassServerStats stats;

    private ChannelHandlerContext ctx;
    private Peer peer;
    private int socketFd = -1;
    private int unreadBound;

    private final ArrayDeque<Queued> queued = new ArrayDeque<>();
    /** Requests handed to the open executor, answers not back yet. */
    private int opening;
    /** Frames written to the channel whose writes have not completed, the ERROR included. */
    private int writing;
    /** Estimated send-queue memory of those writes. */
    private int pendingCost;
    /** SIOCOUTQ when last asked, and the estimated memory of the writes completed since: an upper bound on it now. */
    private int knownOutq;
    private int writtenSinceOutq;
    private FdPassError error;
    private boolean errorSent;
    private boolean inputClosed;
    private boolean draining;
    private boolean drainAgain;
    private ScheduledFuture<?> recheck;
    private int rechecks;
    private ScheduledFuture<?> lingerTimer;
    private boolean descriptorWriteFailed;
    /** Whether a request is being read, so that the flush can wait for the end of the read. */
    private boolean inChannelRead;
    /** Names of the requests answered but not flushed yet: a bound on the descriptors that wait for the flush. */
    private int unflushedNames;
    private FdPassEvents.BackpressurePause pause;

    /**
     * @param hello the limits this connection announces and holds its client to
     * @param source opens the names
     * @param policy decides which peer may have which name
     * @param lingerMillis how long the closing rule waits for the client after an ERROR or a shutdown
     * @param maxUnreadBytes no REPLY is written while more than this is unread in the socket's send queue;
     *        {@link #AUTO_MAX_UNREAD_BYTES} for what the socket's send buffer allows
     * @param openExecutor where {@code source} runs when it {@link FileSource#mayBlock() may block}; null to
     *        always open on the event loop
     * @param stats where this connection counts what it does, shared by a server's connections
     */
    public FdPassServerHandler(FdPassHello hello, FileSource source, AccessPolicy policy, long lingerMillis,
            int maxUnreadBytes, Executor openExecutor, FdPassServerStats stats) {
        this.hello = Objects.requireNonNull(hello, "hello");
        this.source = Objects.requireNonNull(source, "source");
        this.policy = Objects.requireNonNull(policy, "policy");
        if (lingerMillis < 0) {
            throw new IllegalArgumentException("lingerMillis: " + lingerMillis + " (expected: >= 0)");
        }
        if (maxUnreadBytes != AUTO_MAX_UNREAD_BYTES && maxUnreadBytes < MESSAGE_COST) {
            throw new IllegalArgumentException("maxUnreadBytes: " + maxUnreadBytes + " (expected: 0 or >= "
                    + MESSAGE_COST + ")");
        }
        this.lingerMillis = lingerMillis;
        this.maxUnreadBytes = maxUnreadBytes;
        // Opens on a local filesystem take microseconds: a thread hop would cost more than it saves. A source that
        // may stall (network filesystems, remote services) runs elsewhere so that it stalls no other connection.
        this.openExecutor = source.mayBlock() ? openExecutor : null;
        this.stats = Objects.requireNonNull(stats, "stats");
    }

    /** The peer, once the connection is active. */
    public Peer peer() {
        return peer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        // The closing rule needs the connection open after the client's end of stream, to answer and then close.
        ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        try {
            peer = Transports.peer(ctx.channel());
        } catch (IOException e) {
            logger.warn("{} closed: cannot read the peer's credentials", ctx.channel(), e);
            ctx.close();
            return;
        }
        socketFd = ((UnixChannel) ctx.channel()).fd().intValue();
        // A descriptor write fails unless the queue is below the send buffer: keep room for a largest reply.
        Integer sendBuffer = ctx.channel().config().getOption(ChannelOption.SO_SNDBUF);
        int room = sendBuffer == null ? Integer.MAX_VALUE : sendBuffer - (hello.maxNames() + 1) * MESSAGE_COST;
        int wanted = maxUnreadBytes == AUTO_MAX_UNREAD_BYTES ? Integer.MAX_VALUE : maxUnreadBytes;
        unreadBound = Math.max(MESSAGE_COST, Math.min(wanted, room));
        stats.connectionOpened();
        ctx.channel().closeFuture().addListener(f -> stats.connectionClosed());
        ctx.writeAndFlush(hello).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FdPassRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (error == null) {
            FdPassEvents.RequestServed event = new FdPassEvents.RequestServed();
            if (event.isEnabled()) {
                event.begin();
            } else {
                event = null;
            }
            queued.add(new Queued(request, event));
            inChannelRead = true;
            try {
                drain();
            } finally {
                inChannelRead = false;
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (unflushedNames > 0) {
            flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof FdPassDecoderException e) {
            if (error == null) {
                error = new FdPassError(e.errorCode(), truncate(e.getMessage()));
                logger.debug("{} {}: {}", ctx.channel(), peer, error);
            }
            drain();
            return;
        }
        logger.debug("{} {} closed: {}", ctx.channel(), peer, cause.toString());
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == SHUTDOWN) {
            if (error == null) {
                error = new FdPassError(ErrorCode.SHUTTING_DOWN, "the server is shutting down");
            }
            // Bounded even if the client never reads what is still due to it.
            startLinger();
            drain();
            return;
        }
        if (evt instanceof ChannelInputShutdownEvent) {
            // A client that half-closed still reads its replies; one that closed for good empties the send queue
            // as the kernel drops what it had not read. Either way: answer, then wait for an empty queue.
            inputClosed = true;
            startLinger();
            scheduleCloseCheck();
            drain();
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel(recheck);
        cancel(lingerTimer);
        queued.clear();
        super.channelInactive(ctx);
    }

    private void drain() {
        if (draining) {
            drainAgain = true;
            return;
        }
        draining = true;
        boolean overBound = false;
        try {
            do {
                drainAgain = false;
                while (!queued.isEmpty() && opening == 0 && ctx.channel().isActive()) {
                    if (overBound = isOverBound()) {
                        if (rechecks == 0) {
                            pauseBegins();
                        }
                        scheduleRecheck();
                        break;
                    }
                    if (rechecks != 0) {
                        pauseEnds();
                    }
                    if (openExecutor == null) {
                        Queued next = queued.poll();
                        int names = next.request().count();
                        if (unflushedNames + names > hello.maxNames()) {
                            flush(); // what waits for a flush holds its descriptors open: at most a request's worth
                        }
                        write(answer(next));
                        unflushedNames += names;
                    } else {
                        openElsewhere();
                    }
                }
                if (error != null && !errorSent && queued.isEmpty() && opening == 0 && ctx.channel().isActive()) {
                    sendError();
                }
            } while (drainAgain);
        } finally {
            draining = false;
        }
        // As FlushConsolidationHandler does: what answers the requests of one read goes out in one flush, after
        // the read. Against a flush per answer (fdref-client, pipelining): 7 to 17 % more descriptors/s and lower
        // latency, the client woken fewer times.
        if (unflushedNames > 0 && !inChannelRead) {
            flush();
        }
        updateReading(overBound);
        closeIfDone();
    }

    private void flush() {
        unflushedNames = 0;
        ctx.flush();
    }

    private boolean isOverBound() {
        // The queue only shrinks by itself (the client reads), so the last answer plus what was written since
        // bounds it from above: ask the kernel only when that bound is not good enough.
        if (knownOutq + writtenSinceOutq + pendingCost <= unreadBound) {
            return false;
        }
        knownOutq = Math.max(Native.socketOutq(socketFd), 0);
        writtenSinceOutq = 0;
        return knownOutq + pendingCost > unreadBound;
    }

    private void scheduleRecheck() {
        if (recheck == null) {
            long micros = RECHECK_MICROS[Math.min(rechecks++, RECHECK_MICROS.length - 1)];
            recheck = ctx.executor().schedule(() -> {
                recheck = null;
                drain();
            }, micros, TimeUnit.MICROSECONDS);
        }
    }

    private void updateReading(boolean overBound) {
        boolean read;
        if (errorSent) {
            read = true; // read and discard until the client closes: see closeIfDone
        } else if (error != null) {
            read = false;
        } else {
            read = !overBound && queued.size() + opening + writing < hello.maxUnanswered();
        }
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    private void pauseBegins() {
        stats.backpressurePause();
        FdPassEvents.BackpressurePause event = new FdPassEvents.BackpressurePause();
        if (event.isEnabled()) {
            event.begin();
            event.peerUid = peer.uid();
            event.unreadBytes = knownOutq;
            pause = event;
        }
    }

    private void pauseEnds() {
        rechecks = 0;
        if (pause != null) {
            pause.commit();
            pause = null;
        }
    }

    /** A decoded request, with its Flight Recorder event when one is recording. */
    private record Queued(FdPassRequest request, FdPassEvents.RequestServed event) {
    }

    /** One request's REPLY and the descriptors that follow it. */
    private record Answer(FdPassReply reply, FileDescriptor[] descriptors, FdPassEvents.RequestServed event) {
    }

    private static final FileDescriptor[] NO_DESCRIPTORS = {};

    private Answer answer(Queued queued) {
        FdPassRequest request = queued.request();
        int count = request.count();
        byte[] statuses = new byte[count];
        long[] sizes = new long[count];
        FileDescriptor[] descriptors = NO_DESCRIPTORS;
        int opened = 0;
        for (int i = 0; i < count; i++) {
            OpenResult result = open(request.nameNoCopy(i));
            statuses[i] = (byte) result.status().code();
            sizes[i] = result.size();
            stats.entry(result.status());
            if (result.status() == FileStatus.OK) {
                if (descriptors == NO_DESCRIPTORS) {
                    descriptors = new FileDescriptor[count - i];
                }
                descriptors[opened++] = result.descriptor();
            }
        }
        if (opened < descriptors.length) {
            descriptors = Arrays.copyOf(descriptors, opened);
        }
        stats.descriptorsOpened(descriptors.length);
        FdPassReply reply = new FdPassReply(request.id(), statuses, sizes);
        FdPassEvents.RequestServed event = queued.event();
        if (event != null) {
            event.peerUid = peer.uid();
            event.peerPid = peer.pid();
            event.requestId = Integer.toUnsignedLong(request.id());
            event.names = count;
            event.descriptors = descriptors.length;
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < count; i++) {
                text.append(i == 0 ? "" : ",").append(reply.status(i));
            }
            event.statuses = text.toString();
        }
        return new Answer(reply, descriptors, event);
    }

    private OpenResult open(byte[] name) {
        if (!Names.isValid(name)) {
            return OpenResult.failed(FileStatus.INVALID_NAME);
        }
        try {
            // The default policy needs no name: then the source gets the bytes as they came, not decoded.
            if (policy != AccessPolicy.ALLOW_ALL && !policy.allows(peer, new String(name, StandardCharsets.UTF_8))) {
                stats.refusedByPolicy();
                return OpenResult.failed(FileStatus.PERMISSION_DENIED);
            }
            OpenResult result = source.open(name, peer);
            return result != null ? result : OpenResult.failed(FileStatus.IO_ERROR);
        } catch (RuntimeException e) {
            logger.warn("{} failed on {}", source, new String(name, StandardCharsets.UTF_8), e);
            return OpenResult.failed(FileStatus.IO_ERROR);
        }
    }

    private void openElsewhere() {
        Queued[] batch = new Queued[queued.size()];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = queued.poll();
        }
        opening = batch.length;
        try {
            openExecutor.execute(() -> {
                Answer[] answers = new Answer[batch.length];
                for (int i = 0; i < batch.length; i++) {
                    answers[i] = answer(batch[i]);
                }
                try {
                    ctx.executor().execute(() -> writeOpened(answers));
                } catch (RejectedExecutionException e) {
                    // The event loop has shut down, and the connection is gone with it.
                    discard(answers);
                }
            });
        } catch (RejectedExecutionException e) {
            logger.warn("{}: open executor rejected {} requests; closing", ctx.channel(), batch.length, e);
            opening = 0;
            ctx.close();
        }
    }

    private void writeOpened(Answer[] answers) {
        opening = 0;
        if (!ctx.channel().isActive()) {
            discard(answers);
            return;
        }
        for (Answer answer : answers) {
            write(answer);
        }
        flush();
        drain();
    }

    /** Closes what was opened for a connection that is gone: nobody will send it. */
    private void discard(Answer[] answers) {
        for (Answer answer : answers) {
            for (FileDescriptor fd : answer.descriptors()) {
                Descriptors.closeQuietly(fd);
                stats.descriptorDone(false);
            }
        }
    }

    private void write(Answer answer) {
        int cost = (1 + answer.descriptors().length) * MESSAGE_COST;
        writing++;
        pendingCost += cost;
        ChannelFuture last = ctx.write(answer.reply());
        if (answer.descriptors().length > 0) {
            DescriptorsWritten closer = new DescriptorsWritten(answer.descriptors());
            for (FileDescriptor fd : answer.descriptors()) {
                last = ctx.write(fd);
                last.addListener(closer);
            }
        }
        last.addListener(future -> {
            if (future.isSuccess()) {
                stats.requestAnswered();
                if (answer.event() != null) {
                    answer.event().commit();
                }
            }
            writing--;
            pendingCost -= cost;
            writtenSinceOutq += cost;
            if (!queued.isEmpty() || error != null || inputClosed) {
                drain();
            } else if (!errorSent) {
                updateReading(false);
            }
        });
    }

    /**
     * Closes an answer's descriptors one by one as their writes complete, which they do in order: one listener
     * for them all rather than one each. Netty never closes a descriptor it wrote.
     */
    private final class DescriptorsWritten implements ChannelFutureListener {
        private final FileDescriptor[] descriptors;
        private int next;

        DescriptorsWritten(FileDescriptor[] descriptors) {
            this.descriptors = descriptors;
        }

        @Override
        public void operationComplete(ChannelFuture future) {
            Descriptors.closeQuietly(descriptors[next++]);
            stats.descriptorDone(future.isSuccess());
            if (!future.isSuccess() && !descriptorWriteFailed) {
                // The REPLY promised this descriptor: the connection is broken and must end at once. When the
                // write failed with an IOException (EPIPE, ETOOMANYREFS), Netty has closed the channel already,
                // before failing the writes: log it all the same, once, or nothing says why it ended.
                descriptorWriteFailed = true;
                logger.debug("{} {}: sending a descriptor failed, closing", ctx.channel(), peer, future.cause());
                ctx.close();
            }
        }
    }

    private void sendError() {
        errorSent = true;
        stats.errorSent(error.errorCode());
        FdPassEvents.ErrorSent event = new FdPassEvents.ErrorSent();
        if (event.isEnabled()) {
            event.peerUid = peer.uid();
            event.code = error.errorCode().name();
            event.message = error.message();
            event.commit();
        }
        writing++;
        ctx.writeAndFlush(error).addListener(future -> {
            writing--;
            if (!future.isSuccess()) {
                ctx.close();
            } else {
                closeIfDone();
            }
        });
        startLinger();
        scheduleCloseCheck();
    }

    private void startLinger() {
        if (lingerTimer == null) {
            lingerTimer = ctx.executor().schedule(() -> {
                logger.debug("{} {}: linger timeout, closing", ctx.channel(), peer);
                ctx.close();
            }, lingerMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void scheduleCloseCheck() {
        ctx.executor().schedule(() -> {
            if (ctx.channel().isActive() && !closeIfDone()) {
                scheduleCloseCheck();
            }
        }, CLOSE_CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Closes once the protocol allows it; whether it did. The server never closes first while the client may have
     * descriptor messages to read (protocol v1, "Closing"): after an ERROR, or after the client's end of stream,
     * it closes when everything is written and read (SIOCOUTQ is 0; a client that closed for good has emptied it
     * too); the linger timer and a failed write close it otherwise.
     */
    private boolean closeIfDone() {
        if (!ctx.channel().isActive()) {
            return true;
        }
        if (!queued.isEmpty() || opening != 0 || writing != 0) {
            return false;
        }
        boolean ending = errorSent || inputClosed && error == null;
        if (ending && Native.socketOutq(socketFd) <= 0) {
            ctx.close();
            return true;
        }
        return false;
    }

    private static void cancel(ScheduledFuture<?> future) {
        if (future != null) {
            future.cancel(false);
        }
    }

    private static String truncate(String message) {
        String m = message == null ? "" : message;
        while (m.getBytes(StandardCharsets.UTF_8).length > FdPassError.MAX_MESSAGE_LENGTH) {
            m = m.substring(0, m.length() / 2);
        }
        return m;
    }
}
