package io.fdpass.server;

import io.fdpass.FileSource;
import io.fdpass.confinement.Confinement;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * A server's Landlock domain: reading beneath what it serves and the JVM's own files. Its rules are made once, as
 * the server is built, so that they name the root as it was then; each thread the server starts restricts itself
 * with them before it runs anything. Closed with the server, once its threads have ended.
 */
final class ServerConfinement implements AutoCloseable {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(FdPassServer.class);
    private static final long HOLD_CHECK_MILLIS = 100;

    private final List<Path> readable;
    private final Confinement.Prepared rules;
    private volatile boolean closed;

    private ServerConfinement(List<Path> readable, Confinement.Prepared rules) {
        this.readable = readable;
        this.rules = rules;
    }

    /**
     * The domain for a server that reads beneath {@code readable}, or null where it is not to be confined: off,
     * nothing known to confine to ({@code readable} null: a file source of the user's), or Landlock unavailable
     * with {@link Confinement.Mode#IF_AVAILABLE}. Each null says why in one log line.
     *
     * @param owned closed if this fails: the file source the server made, or null
     * @throws IOException if confinement is required and Landlock unavailable, or the rules cannot be made
     */
    static ServerConfinement prepare(Confinement.Mode mode, List<Path> readable, FileSource owned)
            throws IOException {
        try {
            return prepare(mode, readable);
        } catch (IOException | RuntimeException e) {
            if (owned != null) {
                owned.close();
            }
            throw e;
        }
    }

    private static ServerConfinement prepare(Confinement.Mode mode, List<Path> readable) throws IOException {
        if (mode == Confinement.Mode.OFF) {
            logger.info("fdpass server not confined: confinement off");
            return null;
        }
        if (readable == null) {
            if (mode == Confinement.Mode.REQUIRED) {
                throw new IllegalStateException("confine(REQUIRED) with a file source of yours needs the paths it "
                        + "reads: confine(REQUIRED, path...)");
            }
            logger.info("fdpass server not confined: a file source of yours, and no paths to confine it to");
            return null;
        }
        if (!Confinement.isSupported()) {
            String why = Confinement.unavailableReason();
            if (mode == Confinement.Mode.REQUIRED) {
                throw new IOException("confinement required, but Landlock is unavailable: " + why);
            }
            logger.info("fdpass server not confined: Landlock unavailable ({})", why);
            return null;
        }
        Confinement domain = Confinement.jvmFiles().and(Confinement.readOnlyBeneath(readable.toArray(Path[]::new)));
        return new ServerConfinement(List.copyOf(readable), domain.prepare());
    }

    /** {@code delegate}'s threads, confining themselves to {@code confinement} if it is not null. */
    static ThreadFactory threadFactory(ServerConfinement confinement, ThreadFactory delegate) {
        return confinement == null ? delegate : confinement.rules.threadFactory(delegate);
    }

    /** The line a server logs as it starts, on its own event loops or on the application's. */
    void logStarted(Object where, boolean ownLoops) {
        if (ownLoops) {
            logger.info("fdpass server on {}: confined: reads beneath {} only, and the JVM's own files (Landlock "
                    + "ABI {})", where, readable.size() == 1 ? readable.getFirst() : readable, rules.abi());
        } else {
            logger.info("fdpass server on {}: runs on the application's event loops, which fdpass does not confine "
                    + "(give them a thread factory from Confinement.threadFactory)", where);
        }
    }

    /**
     * Keeps Netty's GlobalEventExecutor running until {@link #close()}, started from this thread if it is not: the
     * server's shutdown notifies its futures there, from the server's confined threads, and a thread that one of
     * them started would be confined too, for whatever else the application runs there (the completion of the
     * server's close future included).
     */
    void holdGlobalExecutor() {
        GlobalEventExecutor.INSTANCE.schedule(new Runnable() {
            @Override
            public void run() {
                if (!closed) {
                    GlobalEventExecutor.INSTANCE.schedule(this, HOLD_CHECK_MILLIS, TimeUnit.MILLISECONDS);
                }
            }
        }, HOLD_CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        rules.close();
    }
}
