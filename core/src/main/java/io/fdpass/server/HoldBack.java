package io.fdpass.server;

import io.fdpass.Peer;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A connection whose replies are held back (its send queue over its {@link SendQueueBound}, or its descriptors over
 * a share of the {@link DescriptorBudget}): the re-checks that find out when it may go on, since nothing announces
 * that a client read, and the pause, counted and logged once however many re-checks it takes. On the connection's
 * event loop only.
 */
final class HoldBack {
    /**
     * Waits between re-checks: at first short, since a reading client drains its queue fast; up to 100 ms for one
     * that has stopped reading, so that many such cost little.
     */
    private static final long[] RECHECK_MICROS = {0, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000,
            50_000, 100_000};

    /** Why a connection is held back. */
    enum Reason {
        /** Its client has not read enough of what it was sent. */
        SEND_QUEUE(null),
        /** The connection has its share of descriptors in flight. */
        CONNECTION_SHARE(DescriptorBudget.Refusal.CONNECTION),
        /** Its uid has its share of descriptors in flight. */
        UID_SHARE(DescriptorBudget.Refusal.UID),
        /** The server has its total in flight, which no client of this uid decides. */
        SERVER_TOTAL(DescriptorBudget.Refusal.TOTAL);

        /** The budget's refusal it is; null for the send queue. */
        final DescriptorBudget.Refusal refusal;

        Reason(DescriptorBudget.Refusal refusal) {
            this.refusal = refusal;
        }

        static Reason of(DescriptorBudget.Refusal refusal) {
            return switch (refusal) {
                case CONNECTION -> CONNECTION_SHARE;
                case UID -> UID_SHARE;
                case TOTAL -> SERVER_TOTAL;
            };
        }

        /** Whether it is up to the connection's client, or its uid's clients, to end it by reading. */
        boolean byItsClients() {
            return this != SERVER_TOTAL;
        }
    }

    private final EventExecutor executor;
    private final ServerConfig config;
    private final Peer peer;
    private final Runnable recheckTask;
    private ScheduledFuture<?> recheck;
    private int rechecks;
    private ServerEvents.BackpressurePause pause;

    /** @param recheckTask what runs when a re-check is due */
    HoldBack(EventExecutor executor, ServerConfig config, Peer peer, Runnable recheckTask) {
        this.executor = executor;
        this.config = config;
        this.peer = peer;
        this.recheckTask = recheckTask;
    }

    /**
     * Holds back, and re-checks later.
     *
     * @param budget why, when it is the budget's share, for the log; null when it is the send queue
     * @param unreadBytes what the send queue held when last asked
     */
    void hold(Supplier<String> budget, int unreadBytes) {
        if (rechecks == 0) {
            if (budget != null) {
                config.counters().budgetPause();
                config.log().heldBack(peer, budget.get(), executor);
            } else {
                config.counters().backpressurePause();
                ServerEvents.BackpressurePause event = ServerEvents.mayRecord()
                        ? new ServerEvents.BackpressurePause() : null;
                if (event != null && event.isEnabled()) {
                    event.begin();
                    event.peerUid = peer.uid();
                    event.unreadBytes = unreadBytes;
                    pause = event;
                }
            }
        }
        if (recheck == null) {
            long micros = RECHECK_MICROS[Math.min(rechecks++, RECHECK_MICROS.length - 1)];
            recheck = executor.schedule(() -> {
                recheck = null;
                recheckTask.run();
            }, micros, TimeUnit.MICROSECONDS);
        }
    }

    /** The connection may go on: a pause under way ends. */
    void release() {
        if (rechecks != 0) {
            rechecks = 0;
            if (pause != null) {
                pause.commit();
                pause = null;
            }
        }
    }

    /** No re-check any more: the connection closed, or will only close. */
    void cancel() {
        if (recheck != null) {
            recheck.cancel(false);
            recheck = null;
        }
        release();
    }
}
