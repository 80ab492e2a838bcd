package io.fdpass.server;

import io.fdpass.internal.Errno;
import io.fdpass.internal.Limits;
import io.fdpass.internal.Platform;
import io.fdpass.server.ConnectionLimits.Usage;
import io.netty.channel.unix.Errors;
import io.netty.util.concurrent.Ticker;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The server's bound on descriptors in flight: sent, and not received by their client yet. Linux counts them against
 * the sending user's RLIMIT_NOFILE, for all of that user's processes together, and past it fails every send of a
 * descriptor (ETOOMANYREFS), whichever client it is for. The client decides when they leave the count, by reading
 * them or by closing its socket; a server that closes its end does not end it (they wait in the client's socket).
 * So the server keeps its descriptors in flight below that limit, and holds a connection back when it would go past
 * its share, rather than fail anyone's send. This class computes the shares and counts what is in flight per uid
 * and in all; each connection's {@link ConnectionLease} asks it before each reply and gives back what it took.
 *
 * <p>The bounds come from the soft RLIMIT_NOFILE, read at start and again at most once a second when a connection
 * asks, and at once after a send failed with ETOOMANYREFS: in total three quarters of it (the rest is left to the
 * user's other processes, whose descriptors in flight count against the same limit). A quarter of the total is a
 * reserve that only a uid with nothing in flight may draw on, one request's worth at a time; the rest is shared, and
 * one uid may have at most an eighth of it in flight, one connection a quarter of its uid's share. So clients that
 * stop reading pin their uid's share at most, and it takes {@link #uidsToExhaust()} uids of them to leave another
 * uid waiting; none of the bounds is below one request's worth ({@code maxNames}).
 *
 * <p>Thread-safe; one per server. {@link #close()} ends the watches of the connections closed with descriptors in
 * flight.
 */
final class DescriptorBudget implements AutoCloseable {
    /**
     * The least kernel memory that a descriptor message takes in a Unix socket's send queue (SIOCOUTQ counts an skb's
     * truesize: 768 bytes here for one byte and its descriptor; an sk_buff and its shared info alone take more than
     * this). So a queue of {@code n} bytes holds at most {@code n / 512} descriptors.
     */
    static final int MIN_MESSAGE_MEMORY = 512;
    /** The shared part's share of one uid: an eighth. */
    static final int UIDS_PER_SHARED = 8;
    private static final long REREAD_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(DescriptorBudget.class);

    /** What a uid asked for and was refused, and why. */
    enum Refusal {
        /** The connection has its share in flight. */
        CONNECTION,
        /** Its uid has its share in flight. */
        UID,
        /** The server has its total in flight (the reserve included, or the reserve is not the uid's to draw on). */
        TOTAL
    }

    private final int maxNames;
    private final Ticker ticker;
    private final LongSupplier openFileLimit;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Set<ConnectionLease> watching = ConcurrentHashMap.newKeySet();
    private volatile long openFiles;
    private volatile int total;
    private volatile int shared;
    private volatile int perUid;
    private volatile int perConnection;
    private volatile long nextRead;
    private volatile boolean closed;

    DescriptorBudget(int maxNames, Ticker ticker) {
        this(maxNames, ticker, Limits::openFiles);
    }

    /** @param openFileLimit reads the soft RLIMIT_NOFILE, or a negative number where there is none */
    DescriptorBudget(int maxNames, Ticker ticker, LongSupplier openFileLimit) {
        this.maxNames = maxNames;
        this.ticker = ticker;
        this.openFileLimit = openFileLimit;
        readLimit();
    }

    private void readLimit() {
        long limit = openFileLimit.getAsLong();
        if (limit < 0) {
            limit = 1024; // no getrlimit here: the usual default
        }
        openFiles = limit;
        int all = (int) Math.min(limit - limit / 4, 1 << 24);
        total = Math.max(maxNames, all);
        shared = Math.max(maxNames, total - total / 4);
        perUid = Math.max(maxNames, shared / UIDS_PER_SHARED);
        perConnection = Math.max(maxNames, perUid / 4);
        nextRead = ticker.nanoTime() + REREAD_NANOS;
    }

    /** What one connection may have in flight. */
    int perConnection() {
        return perConnection;
    }

    /** What one uid may have in flight. */
    int perUid() {
        return perUid;
    }

    /** What all uids together may have in flight but for the reserve. */
    int shared() {
        return shared;
    }

    /** What all connections together may have in flight. */
    int total() {
        return total;
    }

    /**
     * How many uids whose clients never read it takes to leave a uid with nothing in flight waiting, each asking a
     * request's worth ({@code maxNames}) at a time until refused: enough to fill the shared part with their shares,
     * and then as many as the reserve has requests' worth, since each may draw one on its first request.
     */
    int uidsToExhaust() {
        int inFlight = 0;
        int uids = 0;
        while (inFlight + maxNames <= total) { // a uid with nothing in flight still gets its first request's worth
            uids++;
            int ofUid = maxNames;
            inFlight += maxNames;
            while (ofUid + maxNames <= perUid && inFlight + maxNames <= shared) {
                ofUid += maxNames;
                inFlight += maxNames;
            }
        }
        return uids;
    }

    /** Descriptors in flight now, as far as the server knows (an upper bound), over every connection. */
    int inFlight() {
        return inFlight.get();
    }

    /**
     * Counts {@code n} more descriptors in flight for a connection of {@code usage}'s uid, if they fit; null if they
     * do, else why not. A uid with nothing in flight may draw a request's worth on the reserve; one with something
     * in flight only on the shared part, within its share.
     */
    Refusal tryAcquire(Usage usage, int n) {
        if (ticker.nanoTime() - nextRead > 0) {
            readLimit();
        }
        for (;;) {
            int ofUid = usage.inFlight.get();
            boolean fromReserve = ofUid == 0 && n <= maxNames;
            if (!fromReserve && ofUid + n > perUid) {
                return Refusal.UID;
            }
            if (!usage.inFlight.compareAndSet(ofUid, ofUid + n)) {
                continue; // another connection of the uid counted meanwhile: judge again
            }
            if (add(inFlight, n, fromReserve ? total : shared)) {
                return null;
            }
            usage.inFlight.addAndGet(-n);
            return Refusal.TOTAL;
        }
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

    /** Gives back {@code n} descriptors counted for {@code usage}'s uid: read, or never sent. */
    void release(Usage usage, int n) {
        if (n > 0) {
            usage.released(n);
            inFlight.addAndGet(-n);
        }
    }

    /** Why a request of a connection with {@code counted} in flight was refused, in a line for the log. */
    String describe(Refusal refusal, Usage usage, int counted) {
        return switch (refusal) {
            case CONNECTION -> "this connection has " + counted + " descriptors in flight, " + perConnection
                    + " at most";
            case UID -> "uid " + Integer.toUnsignedString(usage.uid) + " has " + usage.inFlight.get()
                    + " descriptors in flight, " + perUid + " at most";
            case TOTAL -> "the server has " + inFlight.get() + " descriptors in flight, " + shared + " at most for "
                    + "uids with some in flight, " + total + " in all (RLIMIT_NOFILE " + openFiles + ")";
        };
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
     * An upper bound on the descriptors still in a socket's send queue of {@code unreadBytes}, of {@code counted}
     * sent since it was last seen empty: on Linux SIOCOUTQ counts the memory of each message, at least
     * {@link #MIN_MESSAGE_MEMORY}; elsewhere only an empty queue says something.
     */
    static int stillInFlight(int unreadBytes, int counted) {
        if (unreadBytes <= 0) {
            return 0;
        }
        return Platform.LINUX ? Math.min(counted, unreadBytes / MIN_MESSAGE_MEMORY) : counted;
    }

    /**
     * A lease whose connection closed with descriptors in flight watches its socket; false if the server is closing
     * (then it must not).
     */
    boolean watch(ConnectionLease lease) {
        if (closed) {
            return false;
        }
        watching.add(lease);
        if (closed) { // close() ran meanwhile and may not have seen it
            watching.remove(lease);
            return false;
        }
        return true;
    }

    void unwatched(ConnectionLease lease) {
        watching.remove(lease);
    }

    /** Ends the watches of connections closed with descriptors in flight: the server is closing. */
    @Override
    public void close() {
        closed = true;
        for (ConnectionLease lease : watching) {
            lease.giveBack();
        }
    }
}
