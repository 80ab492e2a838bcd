/**
 * What fdpass's server and client share: the {@link io.fdpass.Peer} at the other end of a connection, the
 * {@link io.fdpass.FileSource} a server serves and its {@link io.fdpass.OpenResult}s, the
 * {@link io.fdpass.AccessPolicy} that decides who may have which name, and the exceptions. Start with
 * {@link io.fdpass.server.FdPassServer} and {@link io.fdpass.client.FdPassClient}.
 *
 * <p>The API is 0.x: it may still change between minor versions.
 */
package io.fdpass;
