package io.fdpass.testing;

import io.fdpass.internal.Platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Filesystems that a test mounts (Linux, as root), unmounted in the reverse order on {@link #close()}: lazily
 * ({@code umount -l}) where one is still busy, so that a failed test leaves no mount behind for the next.
 */
public final class Mounts implements AutoCloseable {
    /** Why a test that mounts is skipped where it cannot. */
    public static final String NEEDS_ROOT = "mounting needs root (CAP_SYS_ADMIN) on Linux";

    private final Deque<Path> mounted = new ArrayDeque<>();

    /** Whether this process may mount: root on Linux. */
    public static boolean possible() throws IOException {
        return Platform.LINUX && TestSyscalls.isRoot();
    }

    /** A tmpfs on {@code dir} (made if missing), {@code nodev} or not, and {@code nosuid} either way. */
    public Path tmpfs(Path dir, boolean nodev) throws IOException, InterruptedException {
        return mount("tmpfs", dir, nodev ? "nodev,nosuid,mode=0755" : "nosuid,mode=0755");
    }

    /** {@code mount -t type -o options type dir}, {@code dir} made if missing; {@code options} may be null. */
    public Path mount(String type, Path dir, String options) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        List<String> command = new ArrayList<>(List.of("mount", "-t", type));
        if (options != null) {
            command.addAll(List.of("-o", options));
        }
        command.addAll(List.of(type, dir.toString()));
        if (!TestSyscalls.run(command.toArray(String[]::new))) {
            throw new IOException("failed: " + String.join(" ", command));
        }
        mounted.push(dir);
        return dir;
    }

    /** {@code mount --bind source dir}, {@code dir} made if missing. */
    public Path bind(Path source, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        if (!TestSyscalls.run("mount", "--bind", source.toString(), dir.toString())) {
            throw new IOException("failed: mount --bind " + source + " " + dir);
        }
        mounted.push(dir);
        return dir;
    }

    /** {@code mount -o remount,OPTIONS dir}, of a mount made here. */
    public void remount(Path dir, String options) throws IOException, InterruptedException {
        if (!TestSyscalls.run("mount", "-o", "remount," + options, dir.toString())) {
            throw new IOException("failed: mount -o remount," + options + " " + dir);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        IOException failed = null;
        while (!mounted.isEmpty()) {
            Path dir = mounted.pop();
            if (!TestSyscalls.run("umount", dir.toString()) && !TestSyscalls.run("umount", "-l", dir.toString())) {
                failed = new IOException("cannot unmount " + dir);
            }
        }
        if (failed != null) {
            throw failed;
        }
    }
}
