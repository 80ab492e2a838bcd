package io.fdpass.codec;

/**
 * The status of one name in a reply (protocol v1, "Entry status"). Only {@link #OK} comes with a descriptor.
 */
public enum FileStatus {
    /** Opened; a descriptor follows. */
    OK(0),
    /** No such file (ENOENT, ENOTDIR). */
    NOT_FOUND(1),
    /** The server may not open it (EACCES, EPERM), or its access policy refuses this peer. */
    PERMISSION_DENIED(2),
    /** Not a valid name, or its resolution would leave the root (also EXDEV, ELOOP, ENAMETOOLONG). */
    INVALID_NAME(3),
    /** A directory, device, FIFO or socket (also ENXIO, ENODEV, EISDIR). */
    NOT_REGULAR_FILE(4),
    /** Any other failure to open. */
    IO_ERROR(5),
    /** The server is out of descriptors (EMFILE, ENFILE). */
    LIMIT_EXCEEDED(6),
    /** A code this side does not know: a failure with no descriptor. */
    UNKNOWN(-1);

    private static final FileStatus[] BY_CODE = {OK, NOT_FOUND, PERMISSION_DENIED, INVALID_NAME,
            NOT_REGULAR_FILE, IO_ERROR, LIMIT_EXCEEDED};

    private final int code;

    FileStatus(int code) {
        this.code = code;
    }

    /** The code on the wire; -1 for {@link #UNKNOWN}. */
    public int code() {
        return code;
    }

    /** The status for a wire code; {@link #UNKNOWN} for codes this version does not define. */
    public static FileStatus valueOf(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNKNOWN;
    }
}
