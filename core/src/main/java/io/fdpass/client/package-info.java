/**
 * The client's connections, behind {@link io.fdpass.FdPassClient}: {@link io.fdpass.client.ClientHandler} matches
 * replies and descriptors to requests, {@link io.fdpass.client.NativeSocketReader} gives the codec's decoder the
 * system calls it needs. Not exported.
 */
package io.fdpass.client;
