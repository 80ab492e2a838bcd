/**
 * {@link io.fdpass.confinement.Confinement}: giving up file system access for good, but for reading beneath some
 * paths, with Linux's Landlock; the server confines the threads it starts with it, and a worker that reads only what
 * it is handed confines itself.
 *
 * <p>The API is 0.x: it may still change between minor versions.
 */
package io.fdpass.confinement;
