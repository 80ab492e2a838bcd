package io.fdpass.server;

import io.fdpass.AccessPolicy;
import io.fdpass.FileSource;
import io.fdpass.codec.FdPassHello;

import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * What every connection of one server shares, as its builder checked it.
 *
 * @param hello the limits each connection announces and holds its client to
 * @param source opens the names
 * @param policy decides which peer may have which name
 * @param lingerMillis how long the closing rule waits for the client after an ERROR or a shutdown
 * @param maxUnreadBytes no REPLY is written while more than this is unread in the socket's send queue; 0 for what
 *        the socket's send buffer allows
 * @param frameTimeoutMillis how long a frame begun may take to complete; 0 for ever
 * @param idleTimeoutMillis how long a connection with nothing unanswered may stay idle; 0 for ever
 * @param stallTimeoutMillis how long a connection held back because of its clients may wait for them to read
 *        anything; 0 for ever
 * @param openExecutor where {@code source} runs when it {@link FileSource#mayBlock() may block}; null to always open
 *        on the event loop
 * @param limits who may hold a connection
 * @param budget the bound on descriptors in flight
 * @param counters where the connections count what they do
 * @param log where they log who connected and what was refused
 */
record ServerConfig(FdPassHello hello, FileSource source, AccessPolicy policy, long lingerMillis,
        int maxUnreadBytes, long frameTimeoutMillis, long idleTimeoutMillis, long stallTimeoutMillis,
        Executor openExecutor, ConnectionLimits limits, DescriptorBudget budget, ServerCounters counters, ActivityLog log) {
    public ServerConfig {
        Objects.requireNonNull(hello, "hello");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(budget, "budget");
        Objects.requireNonNull(counters, "counters");
        Objects.requireNonNull(log, "log");
        // Opens on a local filesystem take microseconds: a thread hop would cost more than it saves. A source that
        // may stall (network filesystems, remote services) runs elsewhere so that it stalls no other connection.
        openExecutor = source.mayBlock() ? openExecutor : null;
    }
}
