package io.fdpass.testsuite;

import io.fdpass.FileSource;
import io.fdpass.OpenResult;
import io.fdpass.Peer;
import io.fdpass.codec.FileStatus;
import io.fdpass.internal.Errno;
import io.fdpass.internal.FileStat;
import io.fdpass.internal.Opens;
import io.netty.channel.unix.FileDescriptor;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A file source with a bug, or worse: for every name it does what an fdpass server must never do, on the thread
 * that serves, then hands out what that left: a file outside the root, or one beneath it after writing, creating,
 * removing, renaming, or making a directory or a link there. It records on which threads it ran and what each
 * attempt came to ({@code "done"}, or the error: {@code "EACCES"} when Landlock refused).
 */
final class HostileSource implements FileSource {
    /** What it does. {@code target} is the file outside the root for {@link #READ_OUTSIDE}, else the root. */
    enum Act {
        READ_OUTSIDE, WRITE, CREATE, REMOVE, RENAME, MAKE_DIRECTORY, MAKE_SYMLINK
    }

    private final Act act;
    private final Path target;
    private final boolean mayBlock;
    final List<String> threads = new CopyOnWriteArrayList<>();
    final List<String> outcomes = new CopyOnWriteArrayList<>();

    HostileSource(Act act, Path target, boolean mayBlock) {
        this.act = act;
        this.target = target;
        this.mayBlock = mayBlock;
    }

    /** A source that opens {@code outside}, an absolute path, whatever the name; on the event loop. */
    static HostileSource readingOutside(Path outside) {
        return new HostileSource(Act.READ_OUTSIDE, outside, false);
    }

    @Override
    public OpenResult open(String name, Peer peer) {
        threads.add(Thread.currentThread().getName());
        Path served = switch (act) {
            case READ_OUTSIDE -> target;
            case CREATE -> target.resolve("created.txt");
            default -> target.resolve(name);
        };
        try {
            switch (act) {
                case READ_OUTSIDE -> { }
                case WRITE -> Files.writeString(served, "meddled", StandardOpenOption.WRITE);
                case CREATE -> Files.writeString(served, "made", StandardOpenOption.CREATE_NEW);
                case REMOVE -> Files.delete(served);
                case RENAME -> Files.move(served, target.resolve("renamed.txt"));
                case MAKE_DIRECTORY -> Files.createDirectory(target.resolve("made-dir"));
                case MAKE_SYMLINK -> Files.createSymbolicLink(target.resolve("made-link"), Path.of("/etc/passwd"));
            }
        } catch (AccessDeniedException e) {
            outcomes.add("EACCES");
            return OpenResult.failed(FileStatus.PERMISSION_DENIED);
        } catch (IOException e) {
            outcomes.add(e.toString());
            return OpenResult.failed(FileStatus.IO_ERROR);
        }
        int fd = Opens.openat(Opens.AT_FDCWD, served.toString(), Opens.O_RDONLY | Opens.O_CLOEXEC);
        if (act == Act.READ_OUTSIDE) {
            outcomes.add(fd >= 0 ? "done" : fd == -Errno.EACCES ? "EACCES" : Errno.strerror(fd));
        } else {
            outcomes.add("done");
        }
        if (fd < 0) {
            return OpenResult.failed(fd == -Errno.EACCES ? FileStatus.PERMISSION_DENIED : FileStatus.NOT_FOUND);
        }
        long[] stat = new long[FileStat.STAT_LENGTH];
        FileStat.fstat(fd, stat);
        return OpenResult.opened(new FileDescriptor(fd), stat[FileStat.STAT_SIZE]);
    }

    @Override
    public boolean mayBlock() {
        return mayBlock;
    }
}
