/**
 * The default file source: names judged as protocol v1's "Names" says ({@link io.fdpass.files.Names}), opened
 * beneath a root directory by the cheapest way that the platform and the root's mount allow ({@code openat2(2)} at
 * once on a {@code nodev} mount, else type first; a walk without it), on the root's own mount unless other mounts
 * may be crossed, and never on a pseudo filesystem. Not exported.
 */
package io.fdpass.files;
