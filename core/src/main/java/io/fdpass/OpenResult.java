package io.fdpass;

import io.fdpass.codec.FileStatus;
import io.netty.channel.unix.FileDescriptor;

import java.util.Objects;

/**
 * What a {@link FileSource} made of one name: an open descriptor and its size, or a failure status.
 * An opened result owns its descriptor until the server has sent it, then the server closes it.
 */
public final class OpenResult {
    private static final OpenResult[] FAILURES = new OpenResult[FileStatus.values().length];

    static {
        for (FileStatus status : FileStatus.values()) {
            if (status != FileStatus.OK) {
                FAILURES[status.ordinal()] = new OpenResult(status, null, 0);
            }
        }
    }

    private final FileStatus status;
    private final FileDescriptor descriptor;
    private final long size;

    private OpenResult(FileStatus status, FileDescriptor descriptor, long size) {
        this.status = status;
        this.descriptor = descriptor;
        this.size = size;
    }

    /**
     * An opened descriptor, which the server then owns and closes once it is sent or its sending failed.
     *
     * @param size what the reply announces as the descriptor's size ({@code st_size} for files), {@code >= 0}
     */
    public static OpenResult opened(FileDescriptor descriptor, long size) {
        Objects.requireNonNull(descriptor, "descriptor");
        if (size < 0) {
            throw new IllegalArgumentException("size: " + size + " (expected: >= 0)");
        }
        return new OpenResult(FileStatus.OK, descriptor, size);
    }

    /** A failure; {@code status} is neither {@link FileStatus#OK} nor {@link FileStatus#UNKNOWN}. */
    public static OpenResult failed(FileStatus status) {
        Objects.requireNonNull(status, "status");
        if (status == FileStatus.OK || status == FileStatus.UNKNOWN) {
            throw new IllegalArgumentException("status: " + status + " (expected: a failure status)");
        }
        return FAILURES[status.ordinal()];
    }

    /** What the open came to: {@link FileStatus#OK} with a descriptor, or why not. */
    public FileStatus status() {
        return status;
    }

    /** The opened descriptor, or {@code null} unless {@link #status()} is {@link FileStatus#OK}. */
    public FileDescriptor descriptor() {
        return descriptor;
    }

    /** The size the reply announces; 0 unless {@link #status()} is {@link FileStatus#OK}. */
    public long size() {
        return size;
    }

    @Override
    public String toString() {
        return status == FileStatus.OK ? "OK(fd=" + descriptor.intValue() + ", size=" + size + ")" : status.name();
    }
}
