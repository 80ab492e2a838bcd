package io.fdpass.server;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The server's Flight Recorder events. All are off unless a recording enables them (by name, e.g.
 * {@code fdpass.RequestServed#enabled=true}); off, each costs a check of a flag, and before Flight Recorder has
 * started in the JVM not even the event: see {@link #mayRecord()}.
 */
final class ServerEvents {
    private ServerEvents() {
    }

    /**
     * Whether Flight Recorder has started in this JVM (a recording, {@code jcmd JFR.start},
     * {@code -XX:StartFlightRecording}), so that an event may be on. Until then none can be, and the server makes
     * none: the first use of an event class loads and instruments it, which a server's first request would wait for.
     */
    static boolean mayRecord() {
        return FlightRecorder.isInitialized();
    }

    @Name("fdpass.RequestServed")
    @Label("Request Served")
    @Category("fdpass")
    @Description("A REQUEST answered: from its decoding to its last descriptor written")
    @Enabled(false)
    @StackTrace(false)
    static final class RequestServed extends Event {
        @Label("Peer UID")
        int peerUid;
        @Label("Peer PID")
        int peerPid;
        @Label("Request ID")
        long requestId;
        @Label("Names")
        int names;
        @Label("Statuses")
        @Description("Each name's status, in order, comma-separated")
        String statuses;
        @Label("Descriptors")
        int descriptors;
    }

    @Name("fdpass.ConnectionRefused")
    @Label("Connection Refused")
    @Category("fdpass")
    @Description("A connection refused as it was accepted: HELLO, then ERROR TOO_MANY_CONNECTIONS")
    @Enabled(false)
    @StackTrace(false)
    static final class ConnectionRefused extends Event {
        @Label("Reason")
        @Description("POLICY, TOTAL, PER_UID or NO_DESCRIPTOR")
        String reason;
        @Label("Peer UID")
        @Description("-1 when refused before its credentials were read")
        int peerUid;
        @Label("Connections Open")
        int connectionsOpen;
    }

    @Name("fdpass.ErrorSent")
    @Label("ERROR Sent")
    @Category("fdpass")
    @Description("An ERROR frame sent to a client, which then gets the closing rule")
    @Enabled(false)
    @StackTrace(false)
    static final class ErrorSent extends Event {
        @Label("Peer UID")
        int peerUid;
        @Label("Code")
        String code;
        @Label("Message")
        String message;
    }

    @Name("fdpass.BackpressurePause")
    @Label("Backpressure Pause")
    @Category("fdpass")
    @Description("The server held a connection's replies back: its client had too much unread")
    @Enabled(false)
    @StackTrace(false)
    static final class BackpressurePause extends Event {
        @Label("Peer UID")
        int peerUid;
        @Label("Unread Bytes")
        @Description("SIOCOUTQ when the pause began")
        int unreadBytes;
    }
}
