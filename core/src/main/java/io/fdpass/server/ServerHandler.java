package io.fdpass.server;

import io.fdpass.Peer;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassDecoderException;
import io.fdpass.codec.FdPassError;
import io.fdpass.codec.FdPassRequest;
import io.fdpass.codec.FdPassServerCodec;
import io.fdpass.server.Answers.Answer;
import io.fdpass.server.Answers.Queued;
import io.fdpass.spi.FdPassSocket;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.VoidChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.AttributeKey;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;

/**
 * Serves one connection: sends HELLO, refuses the connection there if it is over the {@link ConnectionLimits},
 * answers each {@link FdPassRequest} with a REPLY and one descriptor per opened name, in request order, holds back
 * under backpressure, and answers a faulty frame, a timeout ({@link ConnectionTimeouts}) or a
 * {@link ShutdownEvent} with an ERROR and the protocol's closing rule. Place it after its {@link FdPassServerCodec};
 * one instance per connection.
 *
 * <p>Backpressure has three bounds. A connection stops being read while it has {@code maxUnanswered} requests
 * unanswered, and no REPLY is written while its send queue is over its {@link SendQueueBound}, or while its
 * descriptors would not fit its share of the {@link DescriptorBudget}.
 */
final class ServerHandler extends ChannelInboundHandlerAdapter {
    /** The connection's peer, set once its credentials are read, before any later handler sees it active. */
    public static final AttributeKey<Peer> PEER = AttributeKey.valueOf(ServerHandler.class, "peer");

    /** How long a refused connection lingers at most: it was sent HELLO and the ERROR, and no descriptor. */
    static final long REFUSED_LINGER_MILLIS = 1000;
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(ServerHandler.class);

    private final ServerConfig config;
    private final ServerCounters counters;
    private final FdPassServerCodec codec;
    private final FdPassSocket socket;

    private ChannelHandlerContext ctx;
    /** For the writes of an answer but its last: one that fails fails that one too, which is listened to. */
    private ChannelPromise unnotified;
    private Peer peer;
    private Answers answers;
    private SendQueueBound sendQueue;
    private ConnectionTimeouts timeouts;
    private Closing closing;
    private boolean refused;
    /** Whether a request was decoded during the read under way. */
    private boolean framesCompleted;

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
    private boolean descriptorWriteFailed;
    /** Whether a request is being read, so that the flush can wait for the end of the read. */
    private boolean inChannelRead;
    /** Names of the requests answered but not flushed yet: a bound on the descriptors that wait for the flush. */
    private int unflushedNames;

    /** @param codec the codec before it in the pipeline, asked whether a frame is begun */
    ServerHandler(ServerConfig config, FdPassServerCodec codec, FdPassSocket socket) {
        this.config = config;
        this.socket = socket;
        this.counters = config.counters();
        this.codec = codec;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.unnotified = new VoidChannelPromise(ctx.channel(), false);
        // The closing rule needs the connection open after the client's end of stream, to answer and then close.
        ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        try {
            peer = socket.peer();
        } catch (IOException e) {
            logger.warn("{} closed: cannot read the peer's credentials", ctx.channel(), e);
            ctx.close();
            return;
        }
        ctx.channel().attr(PEER).set(peer);
        ConnectionLimits.Admission admission = config.limits().admit(peer);
        sendQueue = new SendQueueBound(ctx, config, peer, admission.usage(), this::drain);
        closing = new Closing(ctx, peer, sendQueue);
        if (admission.usage() == null) {
            refuse(admission);
            return; // and no later handler hears of it
        }
        answers = new Answers(config, peer, ctx.executor());
        timeouts = new ConnectionTimeouts(ctx.executor(), config.frameTimeoutMillis(), config.idleTimeoutMillis(),
                () -> !queued.isEmpty() || opening != 0 || writing != 0, this::timedOut);
        counters.connectionOpened();
        config.log().connected(peer, ctx.executor());
        ctx.channel().closeFuture().addListener(f -> {
            counters.connectionClosed();
            config.limits().closed();
        });
        ctx.writeAndFlush(config.hello()).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        super.channelActive(ctx);
    }

    /**
     * HELLO, then ERROR TOO_MANY_CONNECTIONS, then the closing rule, with a short linger: nothing but those two
     * frames was sent, and whatever the client sends is discarded.
     */
    private void refuse(ConnectionLimits.Admission admission) {
        refused = true;
        counters.connectionRefused(admission.refusal(), peer.uid(), config.limits().open());
        config.log().connectionRefused(peer, admission.message(), ctx.executor());
        error = new FdPassError(ErrorCode.TOO_MANY_CONNECTIONS, admission.message());
        ctx.write(config.hello());
        drain();
    }

    private void timedOut(String why) {
        if (error == null) {
            error = new FdPassError(ErrorCode.TIMED_OUT, why);
            config.log().timedOut(peer, why, ctx.executor());
            drain();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FdPassRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        framesCompleted = true;
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
        if (timeouts != null && error == null) {
            timeouts.afterRead(codec.isInsideFrame(), framesCompleted);
        }
        framesCompleted = false;
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof FdPassDecoderException e) {
            if (error == null) {
                error = FdPassError.shortened(e.errorCode(), e.getMessage());
                logger.debug("{} {}: {}", ctx.channel(), peer, error);
            }
            drain();
            return;
        }
        logger.debug("{} {} closed: {}", ctx.channel(), peer, cause.toString());
        closeNow();
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
            closing.scheduleCheck(this::closeIfDone);
            drain();
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (sendQueue != null) {
            sendQueue.retire();
        }
        if (timeouts != null) {
            timeouts.cancel();
        }
        if (closing != null) {
            closing.cancel();
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
                    if (overBound = !sendQueue.mayAnswer(queued.peek().request().count())) {
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
            if (timeouts != null && error == null) {
                timeouts.reading(read, codec.isInsideFrame());
            }
        }
    }

    /** Opens the head request, counted in the budget already, and those behind it that the budget admits too. */
    private void openElsewhere() {
        List<Queued> taken = new ArrayList<>();
        do {
            taken.add(queued.poll());
        } while (!queued.isEmpty() && sendQueue.mayAnswer(queued.peek().request().count()));
        Queued[] batch = taken.toArray(Queued[]::new);
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
            closeNow();
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

    /**
     * Writes an answer: the REPLY and all but its last descriptor with {@link #unnotified}, the last with the one
     * promise that says how the answer went. Its descriptors close as their writes end ({@link OutboundDescriptor});
     * writes end in order, and when one fails every flushed write after it fails too, so the last one's outcome is
     * the answer's.
     */
    private void write(Answer answer) {
        OutboundDescriptor[] descriptors = answer.descriptors();
        int n = descriptors.length;
        sendQueue.answered(answer.reply().count(), n);
        sendQueue.writing(SendQueueBound.cost(n));
        writing++;
        AnswerWritten written = new AnswerWritten(answer);
        if (n == 0) {
            ctx.write(answer.reply()).addListener(written);
            return;
        }
        ctx.write(answer.reply(), unnotified);
        for (int i = 0; i < n - 1; i++) {
            ctx.write(descriptors[i], unnotified);
        }
        ctx.write(descriptors[n - 1]).addListener(written);
    }

    /** The end of an answer's writes. */
    private final class AnswerWritten implements ChannelFutureListener {
        private final Answer answer;

        AnswerWritten(Answer answer) {
            this.answer = answer;
        }

        @Override
        public void operationComplete(ChannelFuture future) {
            int descriptors = answer.descriptors().length;
            boolean sent = future.isSuccess();
            counters.descriptorsDone(descriptors, sent);
            if (sent) {
                counters.requestAnswered();
                if (answer.event() != null) {
                    answer.event().commit();
                }
            } else if (descriptors > 0 && !descriptorWriteFailed) {
                // The REPLY promised these descriptors: the connection is broken and must end at once. When the
                // write failed with an IOException (EPIPE, ETOOMANYREFS), Netty has closed the channel already,
                // before failing the writes: log it all the same, once, or nothing says why it ended.
                descriptorWriteFailed = true;
                logger.debug("{} {}: sending a descriptor failed, closing", ctx.channel(), peer, future.cause());
                config.budget().sendFailed(future.cause());
                closeNow();
            }
            writing--;
            sendQueue.written(SendQueueBound.cost(descriptors), descriptors);
            if (timeouts != null) {
                timeouts.activity();
            }
            if (!queued.isEmpty() || error != null || inputClosed) {
                drain();
            } else if (!errorSent) {
                updateReading(false);
            }
        }
    }

    private void sendError() {
        errorSent = true;
        counters.errorSent(error, peer);
        writing++;
        if (timeouts != null) {
            timeouts.cancel();
        }
        ctx.writeAndFlush(error).addListener(future -> {
            writing--;
            if (!future.isSuccess()) {
                closeNow();
            } else {
                closeIfDone();
            }
        });
        startLinger();
        closing.scheduleCheck(this::closeIfDone);
    }

    private void startLinger() {
        closing.startLinger(refused ? Math.min(config.lingerMillis(), REFUSED_LINGER_MILLIS) : config.lingerMillis());
    }

    private void closeNow() {
        if (closing != null) {
            closing.closeNow();
        } else {
            ctx.close();
        }
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
            closeNow();
            return true;
        }
        return false;
    }
}
