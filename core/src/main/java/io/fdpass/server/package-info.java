/**
 * The server's connections, behind {@link io.fdpass.FdPassServer}: {@link io.fdpass.server.ServerHandler} (the
 * lifecycle and the closing rule), {@link io.fdpass.server.Answers} (names to a REPLY and its descriptors),
 * {@link io.fdpass.server.SendQueueBound} (backpressure on the send queue), the counters and the Flight Recorder
 * events, and the socket file. Not exported.
 */
package io.fdpass.server;
