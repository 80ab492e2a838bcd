/**
 * The server: {@link io.fdpass.server.FdPassServer} (a server of its own, built and started with its
 * {@link io.fdpass.server.FdPassServer.Builder}), {@link io.fdpass.server.FdPassServerInitializer} (the same in a
 * {@code ServerBootstrap} of yours), {@link io.fdpass.server.FdPassServerStats} (what it did) and
 * {@link io.fdpass.server.FileSources} (the built-in source, to wrap in one of yours).
 *
 * <p>Behind them, package-private: the handler of a served connection and the one of a refused connection, the one
 * owner of each connection's share of the server's limits, the bounds those shares come from (connections per uid
 * and in all, descriptors in flight), the timeouts, the closing rule, the refusal of connections when no descriptor
 * is free, a log no client can flood, the counters and Flight Recorder events, and the socket file.
 *
 * <p>The API is 0.x: it may still change between minor versions.
 */
package io.fdpass.server;
