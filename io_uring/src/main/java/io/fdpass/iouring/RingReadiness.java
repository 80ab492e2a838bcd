package io.fdpass.iouring;

import io.fdpass.spi.FdPassSocket;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;
import io.netty.util.concurrent.Future;

/**
 * Tells that an io_uring channel's socket is readable or writable without reading or writing: a one-shot
 * {@code IORING_OP_POLL_ADD} on the channel's own ring, through a registration of its own, made at the first wait
 * and cancelled, with the polls in flight, when the channel closes (a poll holds the socket open in the kernel). On
 * the channel's event loop only.
 */
final class RingReadiness implements FdPassSocket.Readiness, IoUringIoHandle {
    // <linux/io_uring.h>, <poll.h>, <errno.h>: Linux's numbers, which IoUringIoOps leaves to its caller.
    private static final byte IORING_OP_POLL_ADD = 6;
    private static final byte IORING_OP_ASYNC_CANCEL = 14;
    private static final int POLLIN = 0x1;
    private static final int POLLOUT = 0x4;
    private static final int POLLRDHUP = 0x2000;
    private static final int ECANCELED = 125;
    /** What a poll's submission and completion carry: which wait it is. */
    private static final short READABLE = 1;
    private static final short WRITABLE = 2;
    private static final short INPUT_SHUTDOWN = 3;

    private final IoUringDomainSocketChannel channel;
    private IoRegistration registration;
    private final Wait readable = new Wait(READABLE, POLLIN);
    private final Wait writable = new Wait(WRITABLE, POLLOUT);
    private final Wait inputShutdown = new Wait(INPUT_SHUTDOWN, POLLRDHUP);

    RingReadiness(IoUringDomainSocketChannel channel) {
        this.channel = channel;
    }

    @Override
    public void awaitReadable(Runnable ready) {
        readable.start(ready);
    }

    @Override
    public void awaitWritable(Runnable ready) {
        writable.start(ready);
    }

    @Override
    public void awaitInputShutdown(Runnable ready) {
        inputShutdown.start(ready);
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        IoUringIoEvent completion = (IoUringIoEvent) event;
        if (completion.opcode() != IORING_OP_POLL_ADD) {
            return; // the completion of a cancel
        }
        Wait wait = switch (completion.data()) {
            case READABLE -> readable;
            case WRITABLE -> writable;
            default -> inputShutdown;
        };
        wait.poll = 0;
        Runnable run = wait.ready;
        wait.ready = null;
        if (run != null && completion.res() != -ECANCELED) {
            run.run();
        }
    }

    /** Cancels the polls in flight and the registration: when the channel closes, or the ring does. */
    @Override
    public void close() {
        if (registration != null && registration.isValid()) {
            readable.cancel();
            writable.cancel();
            inputShutdown.cancel();
            registration.cancel();
        }
    }

    private IoRegistration registration() {
        if (registration == null) {
            Future<IoRegistration> registered = ((IoEventLoop) channel.eventLoop()).register(this);
            if (!registered.isSuccess()) {
                throw new IllegalStateException("cannot register with the channel's ring: "
                        + (registered.isDone() ? registered.cause() : "not done at once"), registered.cause());
            }
            registration = registered.getNow();
            channel.closeFuture().addListener(f -> close());
        }
        return registration;
    }

    /** One kind of wait: its poll in flight, as its submission named it (0 for none), and what it then runs. */
    private final class Wait {
        private final short kind;
        private final int events;
        /** The poll's submission: the same each time (the channel's descriptor does not change). */
        private IoUringIoOps pollAdd;
        private long poll;
        private Runnable ready;

        Wait(short kind, int events) {
            this.kind = kind;
            this.events = events;
        }

        void start(Runnable ready) {
            if (this.ready != null) {
                throw new IllegalStateException("a wait is under way already");
            }
            if (!channel.isOpen()) {
                throw new IllegalStateException("the channel is closed");
            }
            if (pollAdd == null) {
                pollAdd = new IoUringIoOps(IORING_OP_POLL_ADD, (byte) 0, (short) 0, channel.fd().intValue(), 0L, 0L,
                        0, events, kind, (short) 0, (short) 0, 0, 0L);
            }
            long id = registration().submit(pollAdd);
            if (id == 0) {
                throw new IllegalStateException("the channel's ring took no poll");
            }
            poll = id;
            this.ready = ready;
        }

        void cancel() {
            ready = null;
            if (poll != 0) {
                registration.submit(new IoUringIoOps(IORING_OP_ASYNC_CANCEL, (byte) 0, (short) 0, -1, 0L, poll, 0, 0,
                        (short) 0, (short) 0, (short) 0, 0, 0L));
                poll = 0;
            }
        }
    }

    @Override
    public String toString() {
        return "RingReadiness(" + channel + ")";
    }
}
