/**
 * The server's connections, behind {@link io.fdpass.FdPassServer}: {@link io.fdpass.server.ServerHandler} (the
 * lifecycle), {@link io.fdpass.server.Answers} (names to a REPLY and its descriptors), {@link
 * io.fdpass.server.SendQueueBound} (backpressure on the send queue and the descriptors in flight), the bounds they
 * share ({@link io.fdpass.server.ConnectionLimits} per uid and in all, {@link io.fdpass.server.DescriptorBudget} on
 * descriptors in flight), {@link io.fdpass.server.ConnectionTimeouts} (frame and idle), {@link
 * io.fdpass.server.Closing} (the closing rule), {@link io.fdpass.server.AcceptGuard} (refusing connections when no
 * descriptor is free), {@link io.fdpass.server.ActivityLog} (a log no client can flood), the counters and the Flight
 * Recorder events, and the socket file. Not exported.
 */
package io.fdpass.server;
