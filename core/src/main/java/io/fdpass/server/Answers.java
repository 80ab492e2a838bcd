package io.fdpass.server;

import io.fdpass.AccessPolicy;
import io.fdpass.FileSource;
import io.fdpass.OpenResult;
import io.fdpass.Peer;
import io.fdpass.codec.FdPassProtocol;
import io.fdpass.codec.FdPassReply;
import io.fdpass.codec.FdPassRequest;
import io.fdpass.codec.FileStatus;
import io.fdpass.files.BeneathFileSource;
import io.fdpass.files.Names;
import io.fdpass.internal.FileStat;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Answers the names of one connection's requests: judges each name (protocol v1, "Names"), asks the access policy,
 * then the file source, and makes the REPLY and the descriptors that follow it; names refused (by the policy, or
 * because the server may not read them) go to the {@link ActivityLog}, one call per request. Runs wherever the server
 * opens: on the event loop, or on the open executor.
 */
final class Answers {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(Answers.class);
    private static final OutboundDescriptor[] NO_DESCRIPTORS = {};

    private final FileSource source;
    private final AccessPolicy policy;
    private final ServerCounters counters;
    private final ActivityLog log;
    private final Peer peer;
    private final EventExecutor executor;
    /** The default source, which is asked without an {@link OpenResult}; null for another. */
    private final BeneathFileSource builtIn;
    /** What the built-in source's opens fill, one per connection: a connection opens on one thread at a time. */
    private final long[] stat = new long[FileStat.STAT_LENGTH];
    /** The name being judged, in its first bytes; grows to the longest valid name seen. */
    private byte[] name = new byte[64];
    /** Whether the last {@link #open} was refused by the policy. */
    private boolean refusedByPolicy;
    /** The last {@link #open}'s descriptor and size, when it answered OK. */
    private int openedFd;
    private long openedSize;

    Answers(ServerConfig config, Peer peer, EventExecutor executor) {
        this.source = config.source();
        this.builtIn = source instanceof BeneathFileSource b ? b : null;
        this.policy = config.policy();
        this.counters = config.counters();
        this.log = config.log();
        this.peer = peer;
        this.executor = executor;
    }

    /** A decoded request, with its Flight Recorder event when one is recording. */
    record Queued(FdPassRequest request, ServerEvents.RequestServed event) {
        static Queued of(FdPassRequest request) {
            if (ServerEvents.mayRecord()) {
                ServerEvents.RequestServed event = new ServerEvents.RequestServed();
                if (event.isEnabled()) {
                    event.begin();
                    return new Queued(request, event);
                }
            }
            return new Queued(request, null);
        }
    }

    /** One request's REPLY and the descriptors that follow it. */
    record Answer(FdPassReply reply, OutboundDescriptor[] descriptors, ServerEvents.RequestServed event) {
    }

    Answer answer(Queued queued) {
        FdPassRequest request = queued.request();
        int count = request.count();
        byte[] statuses = new byte[count];
        long[] sizes = new long[count];
        OutboundDescriptor[] descriptors = NO_DESCRIPTORS;
        int opened = 0;
        int byPolicy = 0;
        int unreadable = 0;
        byte[] firstByPolicy = null;
        byte[] firstUnreadable = null;
        for (int i = 0; i < count; i++) {
            FileStatus status = open(request, i);
            statuses[i] = (byte) status.code();
            counters.entry(status);
            if (status == FileStatus.OK) {
                sizes[i] = openedSize;
                if (descriptors == NO_DESCRIPTORS) {
                    descriptors = new OutboundDescriptor[count - i];
                }
                descriptors[opened++] = new OutboundDescriptor(openedFd);
            } else if (status == FileStatus.PERMISSION_DENIED) {
                if (refusedByPolicy && byPolicy++ == 0) {
                    firstByPolicy = request.name(i);
                } else if (!refusedByPolicy && unreadable++ == 0) {
                    firstUnreadable = request.name(i);
                }
            }
        }
        if (opened < descriptors.length) {
            descriptors = Arrays.copyOf(descriptors, opened);
        }
        if (byPolicy > 0) {
            log.namesRefused(ActivityLog.Kind.REFUSED_BY_POLICY, peer, byPolicy, firstByPolicy, executor);
        }
        if (unreadable > 0) {
            log.namesRefused(ActivityLog.Kind.NOT_READABLE, peer, unreadable, firstUnreadable, executor);
        }
        counters.descriptorsOpened(descriptors.length);
        FdPassReply reply = FdPassReply.wrap(request.id(), statuses, sizes);
        ServerEvents.RequestServed event = queued.event();
        if (event != null) {
            event.peerUid = peer.uid();
            event.peerPid = peer.pid();
            event.requestId = Integer.toUnsignedLong(request.id());
            event.names = count;
            event.descriptors = descriptors.length;
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < count; i++) {
                text.append(i == 0 ? "" : ",").append(reply.status(i));
            }
            event.statuses = text.toString();
        }
        return new Answer(reply, descriptors, event);
    }

    /**
     * Judges and opens the {@code index}th name: its status, and for OK the descriptor and size in {@link #openedFd}
     * and {@link #openedSize}. The built-in source is asked without an {@link OpenResult} in between, and with the
     * name in {@link #name}: a name needs no array of its own but for another source or a policy.
     */
    private FileStatus open(FdPassRequest request, int index) {
        refusedByPolicy = false;
        int length = request.nameLength(index);
        if (length > FdPassProtocol.MAX_NAME_LENGTH) {
            return FileStatus.INVALID_NAME;
        }
        if (name.length < length) {
            name = new byte[Math.min(Math.max(length, 2 * name.length), FdPassProtocol.MAX_NAME_LENGTH)];
        }
        request.getName(index, name);
        if (!Names.isValid(name, length)) {
            return FileStatus.INVALID_NAME;
        }
        try {
            // The default policy needs no name: then the source gets the bytes as they came, not decoded.
            if (policy != AccessPolicy.ALLOW_ALL
                    && !policy.allows(peer, new String(name, 0, length, StandardCharsets.UTF_8))) {
                counters.refusedByPolicy();
                refusedByPolicy = true;
                return FileStatus.PERMISSION_DENIED;
            }
            if (builtIn != null) {
                int fd = builtIn.openDescriptor(name, length, stat);
                if (fd < 0) {
                    return BeneathFileSource.statusOf(-fd);
                }
                openedFd = fd;
                openedSize = stat[FileStat.STAT_SIZE];
                return FileStatus.OK;
            }
            OpenResult result = source.open(request.name(index), peer);
            if (result == null) {
                return FileStatus.IO_ERROR;
            }
            if (result.status() == FileStatus.OK) {
                openedFd = result.descriptor().intValue();
                openedSize = result.size();
            }
            return result.status();
        } catch (RuntimeException e) {
            logger.warn("{} failed on {}", source, ActivityLog.printable(request.name(index)), e);
            return FileStatus.IO_ERROR;
        }
    }

    /** Closes what was opened for a connection that is gone: nobody will send it. */
    void discard(Answer[] answers) {
        for (Answer answer : answers) {
            for (OutboundDescriptor fd : answer.descriptors()) {
                fd.release();
            }
            counters.descriptorsDone(answer.descriptors().length, false);
        }
    }
}
