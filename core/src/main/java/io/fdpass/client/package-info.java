/**
 * The client: {@link io.fdpass.client.FdPassClient} connects to a server, pipelines requests and completes each with
 * a {@link io.fdpass.client.ReceivedReply} whose entries carry the {@link io.fdpass.client.ReceivedFile}s received;
 * {@link io.fdpass.client.FdPassClientStats} counts what it did. Behind it, package-private, the handler that matches
 * replies and descriptors to requests.
 *
 * <p>The API is 0.x: it may still change between minor versions.
 */
package io.fdpass.client;
