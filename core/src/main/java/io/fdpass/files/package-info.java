/**
 * The default file source: names judged as protocol v1's "Names" says ({@link io.fdpass.files.Names}), opened
 * beneath a root directory by the strongest way the platform offers ({@code openat2(2)}, or a walk). Not exported.
 */
package io.fdpass.files;
