/**
 * fdpass: a server that hands its clients open, read-only descriptors of the files beneath a root directory over a
 * Unix domain socket, and the client that receives them, on Netty.
 *
 * <p>Start with {@link io.fdpass.FdPassServer} and {@link io.fdpass.FdPassClient}; embed the server in a
 * {@code ServerBootstrap} of your own with {@link io.fdpass.FdPassServerInitializer}. What a server serves is a
 * {@link io.fdpass.FileSource}, who may have which name an {@link io.fdpass.AccessPolicy}. A server confines the
 * threads that serve with Landlock where the kernel has it; a worker confines itself with
 * {@link io.fdpass.Confinement}.
 *
 * <p>The API is 0.x: it may still change between minor versions.
 */
package io.fdpass;
