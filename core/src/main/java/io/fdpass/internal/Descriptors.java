package io.fdpass.internal;

import io.netty.channel.unix.FileDescriptor;

/** Closing and flagging descriptors: the one place that does it, so that no path forgets one. */
public final class Descriptors {
    private Descriptors() {
    }

    /**
     * Closes {@code fd} if it is not null; never throws. fdpass owns every descriptor it sends or receives (Netty
     * never closes one), so this is its only close, through FFM: {@code FileDescriptor.close()} would need a
     * transport's native library loaded.
     */
    public static void closeQuietly(FileDescriptor fd) {
        if (fd != null) {
            Native.close(fd.intValue());
        }
    }

    /** Marks {@code fd} close-on-exec; 0 or a negative errno. */
    public static int setCloseOnExec(FileDescriptor fd) {
        return Native.setCloexec(fd.intValue());
    }
}
