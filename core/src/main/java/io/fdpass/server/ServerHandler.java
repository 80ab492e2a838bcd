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
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;

/**
 * Serves one admitted connection: sends HELLO, answers each {@link FdPassRequest} with a REPLY and one descriptor per
 * opened name, in request order, holds back under backpressure, and answers a faulty frame, a timeout
 * ({@link ConnectionTimeouts}) or a {@link ShutdownEvent} with an ERROR and the protocol's closing rule
 * ({@link Closing}). Its {@link ConnectionLease} holds what the connection counts against the server's limits. Place
 * it after its {@link FdPassServerCodec}; one instance per connection. A connection over the limits gets a
 * {@link RefusedHandler} instead.
 *
 * <p>Backpressure has three bounds. A connection stops being read while it has {@code maxUnanswered} requests
 * unanswered, and no REPLY is written while its send queue is over its {@link SendQueueBound}, or while its
 * descriptors would not fit its share of the {@link DescriptorBudget} ({@link HoldBack}).
 */
final class ServerHandler extends ChannelInboundHandlerAdapter {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(ServerHandler.class);

    /** Where a served connection is in its life. */
    private enum Phase {
        /** Reads requests and answers them. */
        SERVING,
        /** Its client ended its input: what it sent is answered, then it closes once its client has read it all. */
        ENDING,
        /** An ERROR follows the answers to the requests already read; nothing more is read. */
        ERROR_DUE,
        /** The ERROR is written: input is read and dropped until the client has read everything, or closed. */
        ERROR_SENT,
        /** Closed, or closing: nothing more is written. */
        CLOSED
    }

    private final ServerConfig config;
    private final ServerCounters counters;
    private final FdPassServerCodec codec;
    private final FdPassSocket socket;
    private final Peer peer;
    private final ConnectionLease lease;
    private final ArrayDeque<Queued> queued = new ArrayDeque<>();
    private Phase phase = Phase.SERVING;
    /** The ERROR due or sent. */
    private FdPassError error;

    private ChannelHandlerContext ctx;
    /** For the writes of an answer but its last: one that fails fails that one too, which is listened to. */
    private ChannelPromise unnotified;
    private Answers answers;
    private SendQueueBound sendQueue;
    private HoldBack holdBack;
    private ConnectionTimeouts timeouts;
    private Closing closing;

    /** Requests handed to the open executor, answers not back yet. */
    private int opening;
    /** Frames written to the channel whose writes have not completed, the ERROR included. */
    private int writing;
    /** Names of the requests answered but not flushed yet: a bound on the descriptors that wait for the flush. */
    private int unflushedNames;
    /** Whether a request was decoded during the read under way. */
    private boolean framesCompleted;
    /** Whether a request is being read, so that the flush can wait for the end of the read. */
    private boolean inChannelRead;
    /** Whether {@link #drain} is running, and whether it must run again once done. */
    private boolean draining;
    private boolean drainAgain;

    /**
     * @param codec the codec before it in the pipeline, asked whether a frame is begun
     * @param lease what the connection was admitted with
     */
    ServerHandler(ServerConfig config, FdPassServerCodec codec, FdPassSocket socket, Peer peer,
            ConnectionLease lease) {
        this.config = config;
        this.counters = config.counters();
        this.codec = codec;
        this.socket = socket;
        this.peer = peer;
        this.lease = lease;
    }

    /** What the connection holds of the server's limits: for tests. */
    ConnectionLease lease() {
        return lease;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.unnotified = new VoidChannelPromise(ctx.channel(), false);
        answers = new Answers(config, peer, ctx.executor());
        sendQueue = new SendQueueBound(socket, config.maxUnreadBytes(), config.hello().maxNames());
        holdBack = new HoldBack(ctx.executor(), config, peer, this::drain);
        timeouts = new ConnectionTimeouts(ctx.executor(), config.frameTimeoutMillis(), config.idleTimeoutMillis(),
                config.stallTimeoutMillis(), () -> !queued.isEmpty() || opening != 0 || writing != 0,
                this::timedOut);
        closing = new Closing(ctx, socket, peer, config.lingerMillis(), lease::beforeClose);
        // The closing rule needs the connection open after the client's end of stream, to answer and then close.
        ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        counters.connectionOpened();
        config.log().connected(peer, ctx.executor());
        ctx.channel().closeFuture().addListener(f -> counters.connectionClosed());
        ctx.writeAndFlush(config.hello()).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        super.channelActive(ctx);
    }

    private void timedOut(ConnectionTimeouts.Kind kind, String why) {
        if (phase == Phase.SERVING || phase == Phase.ENDING) {
            error = new FdPassError(ErrorCode.TIMED_OUT, why);
            phase = Phase.ERROR_DUE;
            config.log().timedOut(peer, why, ctx.executor());
        } else if (phase != Phase.ERROR_DUE) {
            return;
        }
        if (kind == ConnectionTimeouts.Kind.STALL) {
            // Held back because its clients read nothing: what it asked for stays unanswered, rather than wait, and
            // the ERROR due (this one, or the one a faulty frame made due) goes out.
            queued.clear();
        }
        drain();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FdPassRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        framesCompleted = true;
        if (phase == Phase.SERVING || phase == Phase.ENDING) {
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
        if (phase == Phase.SERVING || phase == Phase.ENDING) {
            timeouts.afterRead(codec.isInsideFrame(), framesCompleted);
        }
        framesCompleted = false;
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof FdPassDecoderException e) {
            if (phase == Phase.SERVING || phase == Phase.ENDING) {
                error = FdPassError.shortened(e.errorCode(), e.getMessage());
                phase = Phase.ERROR_DUE;
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
            if (phase == Phase.SERVING || phase == Phase.ENDING) {
                error = new FdPassError(ErrorCode.SHUTTING_DOWN, "the server is shutting down");
                phase = Phase.ERROR_DUE;
            }
            // Bounded even if the client never reads what is still due to it.
            closing.startLinger();
            drain();
            return;
        }
        if (evt instanceof ChannelInputShutdownEvent) {
            // A client that half-closed still reads its replies; one that closed for good empties the send queue
            // as the kernel drops what it had not read. Either way: answer, then wait for an empty queue.
            if (phase == Phase.SERVING) {
                phase = Phase.ENDING;
            }
            closing.startLinger();
            closing.scheduleCheck(this::closeIfDone);
            drain();
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        phase = Phase.CLOSED;
        holdBack.cancel();
        timeouts.cancel();
        closing.cancel();
        queued.clear();
        super.channelInactive(ctx);
    }

    private void drain() {
        if (draining) {
            drainAgain = true;
            return;
        }
        draining = true;
        boolean held = false;
        try {
            do {
                drainAgain = false;
                while (!queued.isEmpty() && opening == 0 && phase != Phase.CLOSED && ctx.channel().isActive()) {
                    HoldBack.Reason wait = tryAnswer(queued.peek().request().count());
                    if (held = wait != null) {
                        hold(wait);
                        break;
                    }
                    holdBack.release();
                    timeouts.notHeldBack();
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
                if (phase == Phase.ERROR_DUE && queued.isEmpty() && opening == 0 && ctx.channel().isActive()) {
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
        // The flush may have completed writes whose listeners drained the queue meanwhile: held only if still so.
        updateReading(held && !queued.isEmpty());
        closeIfDone();
    }

    /**
     * Why a request of {@code names} names cannot be answered now, or null if it can: then its descriptors are
     * counted in the lease until it says how many opened.
     */
    private HoldBack.Reason tryAnswer(int names) {
        if (!sendQueue.hasRoom()) {
            return HoldBack.Reason.SEND_QUEUE;
        }
        DescriptorBudget.Refusal refusal = lease.tryReserve(names);
        return refusal == null ? null : HoldBack.Reason.of(refusal);
    }

    private void hold(HoldBack.Reason wait) {
        holdBack.hold(wait.refusal == null ? null : () -> lease.describe(wait.refusal),
                sendQueue.knownUnread());
        if (wait.byItsClients()) {
            // Grows as its clients read: what its uid gave back, less what its own socket holds unread.
            timeouts.heldBack(lease.uidGivenBack() - sendQueue.knownUnread());
        } else {
            timeouts.notHeldBack();
        }
    }

    private void flush() {
        unflushedNames = 0;
        ctx.flush();
    }

    private void updateReading(boolean held) {
        boolean read = switch (phase) {
            case SERVING, ENDING -> !held && queued.size() + opening + writing < config.hello().maxUnanswered();
            case ERROR_DUE -> false;
            case ERROR_SENT -> true; // read and discard until the client closes: see closeIfDone
            case CLOSED -> ctx.channel().config().isAutoRead();
        };
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
            if (phase == Phase.SERVING || phase == Phase.ENDING) {
                timeouts.reading(read, codec.isInsideFrame());
            }
        }
    }

    /** Opens the head request, counted in the lease already, and those behind it that it admits too. */
    private void openElsewhere() {
        List<Queued> taken = new ArrayList<>();
        do {
            taken.add(queued.poll());
        } while (!queued.isEmpty() && tryAnswer(queued.peek().request().count()) == null);
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
        lease.opened(answer.reply().count(), n);
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
            } else if (descriptors > 0 && phase != Phase.CLOSED) {
                // The REPLY promised these descriptors: the connection is broken and must end at once. When the
                // write failed with an IOException (EPIPE, ETOOMANYREFS), Netty has closed the channel already,
                // before failing the writes: log it all the same, once, or nothing says why it ended.
                logger.debug("{} {}: sending a descriptor failed, closing", ctx.channel(), peer, future.cause());
                config.budget().sendFailed(future.cause());
                closeNow();
            }
            writing--;
            sendQueue.written(SendQueueBound.cost(descriptors));
            lease.written(descriptors);
            timeouts.activity();
            if (!queued.isEmpty() || phase != Phase.SERVING) {
                drain();
            } else {
                updateReading(false);
            }
        }
    }

    private void sendError() {
        phase = Phase.ERROR_SENT;
        counters.errorSent(error, peer);
        writing++;
        timeouts.cancel();
        holdBack.cancel();
        ctx.writeAndFlush(error).addListener(future -> {
            writing--;
            if (!future.isSuccess()) {
                closeNow();
            } else {
                closeIfDone();
            }
        });
        closing.startLinger();
        closing.scheduleCheck(this::closeIfDone);
    }

    private void closeNow() {
        phase = Phase.CLOSED;
        closing.closeNow();
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
        if ((phase == Phase.ERROR_SENT || phase == Phase.ENDING) && closing.clientReadAll()) {
            closeNow();
            return true;
        }
        return false;
    }
}
