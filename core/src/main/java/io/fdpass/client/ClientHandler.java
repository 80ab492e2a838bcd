package io.fdpass.client;

import io.fdpass.FdPassErrorException;
import io.fdpass.FdPassException;
import io.fdpass.codec.ErrorCode;
import io.fdpass.codec.FdPassError;
import io.fdpass.codec.FdPassHello;
import io.fdpass.codec.FdPassReply;
import io.fdpass.codec.FdPassRequest;
import io.fdpass.internal.Descriptors;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.DecoderException;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Matches replies and their descriptors to the requests of one client connection. Runs on the channel's event
 * loop only. A request that nobody waits for any more (timed out, cancelled) keeps its place in line: its reply
 * still arrives, and its descriptors are closed.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter {
    private static final FileDescriptor[] NO_DESCRIPTORS = {};

    private final CompletableFuture<FdPassHello> hello = new CompletableFuture<>();
    /** HELLO, read and held until the end of its read: an ERROR right behind it (a refusal) fails the connect. */
    private FdPassHello helloRead;

    private final long timeoutMillis;
    private final ClientCounters stats;
    private final ReplyAssembler assembler;
    private final ArrayDeque<Pending> unanswered = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private FdPassReply receiving;
    private FileDescriptor[] received;
    private int receivedCount;
    private volatile FdPassException failure;
    private FdPassClientStats.Failure failureCause;
    /** Whether a reply is being read: requests its callbacks send then are flushed at the end of the read. */
    private boolean inChannelRead;
    private boolean flushOnReadComplete;

    /**
     * @param timeoutMillis how long a request may wait for its reply; 0 for ever
     * @param assembler makes the user's reply of each REPLY and its descriptors
     */
    public ClientHandler(long timeoutMillis, ClientCounters stats, ReplyAssembler assembler) {
        this.timeoutMillis = timeoutMillis;
        this.stats = stats;
        this.assembler = assembler;
    }

    /** Makes what a user gets of a REPLY: the facade's types, whose constructors are the facade's own. */
    @FunctionalInterface
    public interface ReplyAssembler {
        /**
         * @param names the names as the user asked for them
         * @param descriptors one per OK entry, in entry order; the result owns them
         */
        ReceivedReply assemble(List<String> names, FdPassReply reply, FileDescriptor[] descriptors);
    }

    /**
     * Completes with the server's HELLO once the read that brought it is done, or fails with why the connection ended
     * before: a server that refuses the connection sends HELLO and then ERROR TOO_MANY_CONNECTIONS, together.
     */
    public CompletableFuture<FdPassHello> hello() {
        return hello;
    }

    /** A request in flight: what it asked for and who waits. */
    public static final class Pending {
        final FdPassRequest request;
        final List<String> names;
        final CompletableFuture<ReceivedReply> future;
        ScheduledFuture<?> timeout;

        public Pending(FdPassRequest request, List<String> names, CompletableFuture<ReceivedReply> future) {
            this.request = request;
            this.names = names;
            this.future = future;
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Sends a request; on the event loop. */
    public void send(Pending pending) {
        if (failure != null) {
            failRequest(pending, failure, failureCause);
            return;
        }
        unanswered.add(pending);
        stats.requestSent();
        if (timeoutMillis > 0) {
            pending.timeout = ctx.executor().schedule(() -> failRequest(pending,
                    new FdPassException("no reply within " + timeoutMillis + " ms"),
                    FdPassClientStats.Failure.TIMEOUT), timeoutMillis, TimeUnit.MILLISECONDS);
        }
        ctx.write(pending.request).addListener(f -> {
            if (!f.isSuccess()) {
                fail(new FdPassException("connection lost while sending a request (" + reason(f.cause()) + ")",
                        f.cause()), FdPassClientStats.Failure.CONNECTION_CLOSED);
            }
        });
        if (inChannelRead) {
            // Sent from a reply's callback: the requests sent while reading go out in one flush after the read.
            flushOnReadComplete = true;
        } else {
            ctx.flush();
        }
    }

    /** The ERROR TOO_MANY_CONNECTIONS that ended the connection, if the server refused it; else null. */
    public FdPassErrorException refusal() {
        return failure instanceof FdPassErrorException e && e.errorCode() == ErrorCode.TOO_MANY_CONNECTIONS ? e : null;
    }

    /** Netty's native messages end in strerror, "writevAddresses(..) failed with error(-32): Broken pipe". */
    public static String reason(Throwable cause) {
        String message = String.valueOf(cause.getMessage());
        int reason = message.lastIndexOf("): ");
        return reason >= 0 ? message.substring(reason + 3) : message;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        inChannelRead = true;
        try {
            switch (msg) {
                case FileDescriptor fd -> onDescriptor(fd);
                case FdPassReply reply -> onReply(reply);
                case FdPassHello h -> helloRead = h;
                case FdPassError error -> fail(new FdPassErrorException(error.code(), error.message()),
                        FdPassClientStats.Failure.SERVER_ERROR);
                default -> ctx.fireChannelRead(msg);
            }
        } finally {
            inChannelRead = false;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (helloRead != null) {
            hello.complete(helloRead); // unless an ERROR behind it failed it already
            helloRead = null;
        }
        if (flushOnReadComplete) {
            flushOnReadComplete = false;
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    private void onReply(FdPassReply reply) {
        if (receiving != null) {
            // Its decoder passes none on, but the descriptors received so far must not be dropped unclosed.
            fail(new FdPassException("protocol violation: " + reply + " before the descriptors of " + receiving),
                    FdPassClientStats.Failure.PROTOCOL_VIOLATION);
            return;
        }
        Pending head = unanswered.peek();
        if (head == null || head.request.id() != reply.id() || head.request.count() != reply.count()) {
            fail(new FdPassException("protocol violation: " + reply + " does not answer "
                    + (head == null ? "any request" : "the oldest unanswered request " + head.request)),
                    FdPassClientStats.Failure.PROTOCOL_VIOLATION);
            return;
        }
        if (reply.descriptorCount() == 0) {
            complete(unanswered.poll(), reply, null);
        } else {
            receiving = reply;
            received = new FileDescriptor[reply.descriptorCount()];
            receivedCount = 0;
        }
    }

    private void onDescriptor(FileDescriptor fd) {
        if (receiving == null) {
            // The decoder only passes descriptors that a REPLY announced; this is after a failure.
            Descriptors.closeQuietly(fd);
            return;
        }
        received[receivedCount++] = fd;
        if (receivedCount == received.length) {
            FdPassReply reply = receiving;
            FileDescriptor[] fds = received;
            receiving = null;
            received = null;
            complete(unanswered.poll(), reply, fds);
        }
    }

    private void complete(Pending pending, FdPassReply reply, FileDescriptor[] fds) {
        if (pending.timeout != null) {
            pending.timeout.cancel(false);
        }
        stats.replyReceived(fds == null ? 0 : fds.length);
        ReceivedReply result = assembler.assemble(pending.names, reply, fds == null ? NO_DESCRIPTORS : fds);
        if (!pending.future.complete(result)) {
            result.close();
        }
    }

    private String closedMessage() {
        return "connection closed" + (unanswered.isEmpty() ? "" : " with " + unanswered.size()
                + " request(s) unanswered");
    }

    private void failRequest(Pending pending, FdPassException cause, FdPassClientStats.Failure kind) {
        // Counted first: whoever waits on the future may read the stats as soon as it completes.
        if (!pending.future.isDone()) {
            stats.failed(kind);
            pending.future.completeExceptionally(cause);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            fail(new FdPassException("protocol violation: " + cause.getMessage(), cause),
                    FdPassClientStats.Failure.PROTOCOL_VIOLATION);
        } else {
            // The server went away while we read or wrote (ECONNRESET, EPIPE): a closed connection, with why.
            fail(new FdPassException(closedMessage() + " (" + reason(cause) + ")", cause),
                    FdPassClientStats.Failure.CONNECTION_CLOSED);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(new FdPassException(closedMessage()), FdPassClientStats.Failure.CONNECTION_CLOSED);
        super.channelInactive(ctx);
    }

    /** Fails everything unanswered, closes descriptors nobody took, closes the connection. */
    private void fail(FdPassException cause, FdPassClientStats.Failure kind) {
        if (failure == null) {
            failure = cause;
            failureCause = kind;
        }
        hello.completeExceptionally(failure);
        if (received != null) {
            for (int i = 0; i < receivedCount; i++) {
                Descriptors.closeQuietly(received[i]);
            }
            received = null;
            receiving = null;
        }
        Pending pending;
        while ((pending = unanswered.poll()) != null) {
            if (pending.timeout != null) {
                pending.timeout.cancel(false);
            }
            failRequest(pending, failure, failureCause);
        }
        ctx.close();
    }
}
