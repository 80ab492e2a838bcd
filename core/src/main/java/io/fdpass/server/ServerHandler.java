package io.fdpass.server;

import io.fdpass.Peer;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassDecoderException;
import io.fdpass.codec.FdPassError;
import io.fdpass.codec.FdPassProtocol;
import io.fdpass.codec.FdPassRequest;
import io.fdpass.codec.FdPassServerCodec;
import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Transports;
import io.fdpass.server.Answers.Answer;
import io.fdpass.server.Answers.Queued;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Serves one connection: sends HELLO, answers each {@link FdPassRequest} with a REPLY and one descriptor per opened
 * name, in request order, holds back under backpressure, and answers a faulty frame (or a {@link ShutdownEvent})
 * with an ERROR and the protocol's closing rule. Place it after {@link FdPassServerCodec}; one instance per
 * connection.
 *
 * <p>Backpressure has two bounds. A connection stops being read while it has {@code maxUnanswered} requests
 * unanswered, and no REPLY is written while its send queue is over its {@link SendQueueBound}.
 */
public final class ServerHandler extends ChannelInboundHandlerAdapter {
    /** The connection's peer, set once its credentials are read, before any later handler sees it active. */
    public static final AttributeKey<Peer> PEER = AttributeKey.valueOf(ServerHandler.class, "peer");

    private static final long CLOSE_CHECK_MILLIS = 10;
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(ServerHandler.class);

    private final ServerConfig config;
    private final ServerCounters counters;

    private ChannelHandlerContext ctx;
    private Peer peer;
    private Answers answers;
    private SendQueueBound sendQueue;

    private final ArrayDeque<Queued> queued = new ArrayDeque<>();
    /** Requests handed to the open executor, answers not back yet. */
    private int opening;
    /** Frames written to the channel whose writes have not completed, the ERROR included. */
    private int writing;
    private FdPassError error;
    private boolean errorSent;
    private boolean inputClosed;
    private boolean draining;
    private boolean drainAgain;
    private ScheduledFuture<?> lingerTimer;
    private boolean closeCheckScheduled;
    private boolean descriptorWriteFailed;
    /** Whether a request is being read, so that the flush can wait for the end of the read. */
    private boolean inChannelRead;
    /** Names of the requests answered but not flushed yet: a bound on the descriptors that wait for the flush. */
    private int unflushedNames;

    public ServerHandler(ServerConfig config) {
        this.config = config;
        this.counters = config.counters();
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
        ctx.channel().attr(PEER).set(peer);
        answers = new Answers(config.source(), config.policy(), counters, peer);
        sendQueue = new SendQueueBound(ctx, config.hello().maxNames(), config.maxUnreadBytes(), counters, peer,
                this::drain);
        counters.connectionOpened();
        ctx.channel().closeFuture().addListener(f -> counters.connectionClosed());
        ctx.writeAndFlush(config.hello()).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FdPassRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (error == null) {
            queued.add(Queued.of(request));
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
        if (evt == ShutdownEvent.INSTANCE) {
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
        if (sendQueue != null) {
            sendQueue.cancel();
        }
        if (lingerTimer != null) {
            lingerTimer.cancel(false);
        }
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
                    if (overBound = sendQueue.isOver()) {
                        sendQueue.holdBack();
                        break;
                    }
                    sendQueue.release();
                    if (config.openExecutor() == null) {
                        Queued next = queued.poll();
                        int names = next.request().count();
                        if (unflushedNames + names > config.hello().maxNames()) {
                            flush(); // what waits for a flush holds its descriptors open: at most a request's worth
                        }
                        write(answers.answer(next));
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
        // the read, and the client is woken fewer times.
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

    private void updateReading(boolean overBound) {
        boolean read;
        if (errorSent) {
            read = true; // read and discard until the client closes: see closeIfDone
        } else if (error != null) {
            read = false;
        } else {
            read = !overBound && queued.size() + opening + writing < config.hello().maxUnanswered();
        }
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    private void openElsewhere() {
        Queued[] batch = new Queued[queued.size()];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = queued.poll();
        }
        opening = batch.length;
        try {
            config.openExecutor().execute(() -> {
                Answer[] answered = new Answer[batch.length];
                for (int i = 0; i < batch.length; i++) {
                    answered[i] = answers.answer(batch[i]);
                }
                try {
                    ctx.executor().execute(() -> writeOpened(answered));
                } catch (RejectedExecutionException e) {
                    // The event loop has shut down, and the connection is gone with it.
                    answers.discard(answered);
                }
            });
        } catch (RejectedExecutionException e) {
            logger.warn("{}: open executor rejected {} requests; closing", ctx.channel(), batch.length, e);
            opening = 0;
            ctx.close();
        }
    }

    private void writeOpened(Answer[] answered) {
        opening = 0;
        if (!ctx.channel().isActive()) {
            answers.discard(answered);
            return;
        }
        for (Answer answer : answered) {
            write(answer);
        }
        flush();
        drain();
    }

    private void write(Answer answer) {
        int cost = SendQueueBound.cost(answer.descriptors().length);
        writing++;
        sendQueue.writing(cost);
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
                counters.requestAnswered();
                if (answer.event() != null) {
                    answer.event().commit();
                }
            }
            writing--;
            sendQueue.written(cost);
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
            counters.descriptorDone(future.isSuccess());
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
        counters.errorSent(error.errorCode());
        ServerEvents.ErrorSent event = new ServerEvents.ErrorSent();
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
            }, config.lingerMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Polls {@link #closeIfDone} until the connection closes: one chain of polls however often it is asked for. */
    private void scheduleCloseCheck() {
        if (closeCheckScheduled) {
            return;
        }
        closeCheckScheduled = true;
        ctx.executor().schedule(() -> {
            closeCheckScheduled = false;
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
        if (ending && sendQueue.isEmpty()) {
            ctx.close();
            return true;
        }
        return false;
    }

    private static String truncate(String message) {
        String m = message == null ? "" : message;
        while (m.getBytes(StandardCharsets.UTF_8).length > FdPassProtocol.MAX_MESSAGE_LENGTH) {
            m = m.substring(0, m.length() / 2);
        }
        return m;
    }
}
