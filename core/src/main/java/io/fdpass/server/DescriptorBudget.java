package io.fdpass.server;

import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.Limits;
import io.fdpass.internal.Platform;
import io.fdpass.internal.SocketCalls;
import io.fdpass.server.ConnectionLimits.Usage;
import io.netty.channel.unix.Errors;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's bound on descriptors in flight: sent, and not received by their client yet. Linux counts them against
 * the sending user's RLIMIT_NOFILE, for all of that user's processes together, and past it fails every send of a
 * descriptor (ETOOMANYREFS), whichever client it is for. The client decides when they leave the count, by reading
 * them or by closing; a server that closes its end does not end it (they wait in the client's socket). So the server
 * keeps its descriptors in flight below that limit, per connection, per uid and in total, and holds a connection back
 * when it would go past its share ({@link SendQueueBound} asks before each reply), rather than fail anyone's send.
 *
 * <p>The bounds come from the soft RLIMIT_NOFILE, read at start and again at most once a second when a connection
 * asks, and at once after a send failed with ETOOMANYREFS: in total three quarters of it (the rest is left to the
 * user's other processes, whose descriptors in flight count against the same limit), per uid a quarter of that, per
 * connection a quarter of that; none below one request's worth ({@code maxNames}).
 *
 * <p>A connection that closes while its client has not read what it was sent (after the linger timeout) leaves
 * those descriptors in flight. The budget then keeps a descriptor of its socket, shut down so that the client sees
 * the end of the stream, and polls it until the client has read or closed; till then they count, and so does the
 * connection for its uid ({@link ConnectionLimits}). Thread-safe; one per server.
 */
final class DescriptorBudget implements AutoCloseable {
    /**
     * The least kernel memory that a descriptor message takes in a Unix socket's send queue (SIOCOUTQ counts an skb's
     * truesize: 768 bytes here for one byte and its descriptor; an sk_buff and its shared info alone take more than
     * this). So a queue of {@code n} bytes holds at most {@code n / 512} descriptors.
     */
    static final int MIN_MESSAGE_MEMORY = 512;
    private static final long REREAD_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Waits between polls of a socket closed with descriptors in flight, in milliseconds. */
    private static final long[] RETAINED_POLL_MILLIS = {10, 20, 50, 100, 200, 500, 1000};
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(DescriptorBudget.class);

    private final int maxNames;
    private final ConnectionLimits limits;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Set<Retained> retained = ConcurrentHashMap.newKeySet();
    private volatile long openFiles;
    private volatile int total;
    private volatile int perUid;
    private volatile int perConnection;
    private volatile long nextRead;
    private volatile boolean closed;

    public DescriptorBudget(int maxNames, ConnectionLimits limits) {
        this.maxNames = maxNames;
        this.limits = limits;
        readLimit();
    }

    private void readLimit() {
        long limit = Limits.openFiles();
        if (limit < 0) {
            limit = 1024; // no getrlimit here: the usual default
        }
        openFiles = limit;
        int all = (int) Math.min(limit - limit / 4, 1 << 24);
        total = Math.max(maxNames, all);
        perUid = Math.max(maxNames, total / 4);
        perConnection = Math.max(maxNames, perUid / 4);
        nextRead = System.nanoTime() + REREAD_NANOS;
    }

    /** What one connection may have in flight. */
    int perConnection() {
        return perConnection;
    }

    /** Descriptors in flight now, as far as the server knows (an upper bound), over every connection. */
    public int inFlight() {
        return inFlight.get();
    }

    /** What all connections together may have in flight. */
    public int total() {
        return total;
    }

    /**
     * Counts {@code n} more descriptors in flight for a connection of {@code usage}'s uid, if they fit its uid's share
     * and the total; null if they do, else why not.
     */
    String tryAcquire(Usage usage, int n) {
        if (System.nanoTime() - nextRead > 0) {
            readLimit();
        }
        if (!add(usage.inFlight, n, perUid)) {
            return "uid " + Integer.toUnsignedString(usage.uid) + " has " + usage.inFlight.get() + " descriptors in "
                    + "flight, " + perUid + " at most";
        }
        if (!add(inFlight, n, total)) {
            usage.inFlight.addAndGet(-n);
            return "the server has " + inFlight.get() + " descriptors in flight, " + total + " at most (RLIMIT_NOFILE "
                    + openFiles + ")";
        }
        return null;
    }

    private static boolean add(AtomicInteger counter, int n, int max) {
        for (;;) {
            int now = counter.get();
            if (now + n > max) {
                return false;
            }
            if (counter.compareAndSet(now, now + n)) {
                return true;
            }
        }
    }

    void release(Usage usage, int n) {
        if (n > 0) {
            usage.inFlight.addAndGet(-n);
            inFlight.addAndGet(-n);
        }
    }

    /**
     * A descriptor's send failed: if with ETOOMANYREFS, other processes of the user have descriptors in flight too,
     * or the limit fell; the limit is read again.
     */
    void sendFailed(Throwable cause) {
        if (!(cause instanceof Errors.NativeIoException e) || e.expectedErr() != -Errno.ETOOMANYREFS) {
            return;
        }
        long before = openFiles;
        readLimit();
        logger.warn("a descriptor send failed with ETOOMANYREFS with {} in flight from this server (RLIMIT_NOFILE {}, "
                + "was {}): other processes of this user have descriptors in flight", inFlight.get(), openFiles,
                before);
    }

    /**
     * An upper bound on the descriptors still in a socket's send queue of {@code outq} bytes, of {@code counted} sent
     * since it was last seen empty: on Linux SIOCOUTQ counts the memory of each message, at least
     * {@link #MIN_MESSAGE_MEMORY}; elsewhere only an empty queue says something.
     */
    static int stillInFlight(int outq, int counted) {
        if (outq <= 0) {
            return 0;
        }
        return Platform.LINUX ? Math.min(counted, outq / MIN_MESSAGE_MEMORY) : counted;
    }

    /**
     * Takes over a socket about to be closed with {@code count} descriptors maybe still unread in it: keeps a
     * descriptor of it, shut down, and polls it on {@code executor} until its client read them or closed. The
     * connection goes on counting for its uid until then.
     *
     * @return false if it could not (no descriptor to spare): the count is then released, since nothing can follow it
     */
    boolean retain(int socketFd, Usage usage, int count, EventExecutor executor) {
        int fd = closed ? -1 : Descriptors.dup(socketFd);
        if (fd < 0) {
            release(usage, count);
            limits.release(usage);
            return false;
        }
        SocketCalls.shutdown(fd, SocketCalls.SHUT_RDWR);
        Retained r = new Retained(fd, usage, count, executor);
        retained.add(r);
        r.schedule();
        return true;
    }

    /** Closes the sockets kept for their descriptors in flight: the server is closing. */
    @Override
    public void close() {
        closed = true;
        for (Retained r : retained) {
            r.finish();
        }
    }

    /** A closed connection's socket, kept while its client has descriptors of it to read. */
    private final class Retained implements Runnable {
        private final int fd;
        private final Usage usage;
        private final EventExecutor executor;
        private int count;
        private int polls;
        private boolean done;

        Retained(int fd, Usage usage, int count, EventExecutor executor) {
            this.fd = fd;
            this.usage = usage;
            this.count = count;
            this.executor = executor;
        }

        void schedule() {
            try {
                executor.schedule(this, RETAINED_POLL_MILLIS[Math.min(polls++, RETAINED_POLL_MILLIS.length - 1)],
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                finish(); // the event loop is gone, and with it the server
            }
        }

        @Override
        public synchronized void run() {
            if (done) {
                return;
            }
            int left = stillInFlight(SocketCalls.socketOutq(fd), count);
            release(usage, count - left);
            count = left;
            if (count == 0) {
                finish();
            } else {
                schedule();
            }
        }

        synchronized void finish() {
            if (!done) {
                done = true;
                Descriptors.close(fd);
                release(usage, count);
                count = 0;
                retained.remove(this);
                limits.release(usage);
            }
        }
    }
}
