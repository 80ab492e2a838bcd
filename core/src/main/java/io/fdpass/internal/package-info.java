/**
 * The system calls Netty lacks, bound with the FFM API, split by concern as Netty's own natives are:
 * {@link io.fdpass.internal.Ffm} (the one way to bind and call), {@link io.fdpass.internal.Errno},
 * {@link io.fdpass.internal.Opens}, {@link io.fdpass.internal.FileStat}, {@link io.fdpass.internal.Descriptors},
 * {@link io.fdpass.internal.FileReads}, {@link io.fdpass.internal.SocketCalls}, {@link io.fdpass.internal.Landlock}
 * and macOS's structures, and the class path itself
 * ({@link io.fdpass.internal.ClassPath}). Not exported.
 */
package io.fdpass.internal;
