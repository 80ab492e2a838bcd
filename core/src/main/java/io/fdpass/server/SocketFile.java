package io.fdpass.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ServerChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;

/**
 * The socket file a server creates and removes: claimed (a stale one replaced, a live server's refused), bound with
 * its mode set before anyone can connect, and at shutdown removed only if it is still the server's own.
 *
 * @param path where it is
 * @param key its file key when it was created, to recognize it
 */
public record SocketFile(Path path, Object key) {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(SocketFile.class);
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    /**
     * Serves on {@code inherited}, a channel of a socket bound and listening already (handed over by systemd, say):
     * registered with {@code bootstrap}'s group and handlers, neither bound nor unlinked.
     */
    public static Channel serveInherited(ServerBootstrap bootstrap, ServerChannel inherited, int fd)
            throws IOException {
        ChannelFuture registered = bootstrap.channelFactory(() -> inherited).register().awaitUninterruptibly();
        if (!registered.isSuccess() || !registered.channel().isActive()) {
            registered.channel().close().awaitUninterruptibly();
            throw new IOException("listening socket " + fd + ": cannot serve on it: "
                    + (registered.cause() != null ? registered.cause().getMessage() : "not active"),
                    registered.cause());
        }
        return registered.channel();
    }

    /** A listening channel and the socket file it listens on. */
    public record Bound(Channel channel, SocketFile file) {
    }

    /** Refuses a path where a server listens or that is not a socket; removes a stale socket file. */
    public static void claim(Path path) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if (!attrs.isOther() || (mode & S_IFMT) != S_IFSOCK) {
            throw new IOException("socket: " + path + " exists and is not a socket");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            throw new IOException("socket: another server is listening on " + path);
        } catch (ConnectException e) {
            logger.debug("replacing stale socket file {}", path);
            Files.deleteIfExists(path);
        }
    }

    /**
     * Binds in a private directory, sets the mode, then renames the socket into place, so that no one can connect
     * before the mode holds (binding and listening are one step in Netty, and umask is per process).
     */
    public static Bound bind(Path path, Set<PosixFilePermission> mode, ServerBootstrap bootstrap) throws IOException {
        Path dir = Files.createTempDirectory(path.getParent(), ".fdpass-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path staging = dir.resolve("s");
        Channel channel = null;
        try {
            ChannelFuture bound = bootstrap.bind(new DomainSocketAddress(staging.toString())).awaitUninterruptibly();
            if (!bound.isSuccess()) {
                throw new IOException("socket: cannot listen on " + path + ": " + bound.cause().getMessage(),
                        bound.cause());
            }
            channel = bound.channel();
            Files.setPosixFilePermissions(staging, mode);
            try {
                Files.move(staging, path, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("socket: " + path + " must be on a filesystem that can rename a socket "
                        + "into place", e);
            }
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return new Bound(channel, new SocketFile(path, key));
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close().awaitUninterruptibly();
            }
            Files.deleteIfExists(staging);
            throw e;
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    /** Removes the file if it is still this socket: a path that now names another file belongs to someone else. */
    public void unlink() {
        try {
            BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (Objects.equals(attrs.fileKey(), key)) {
                Files.delete(path);
            }
        } catch (NoSuchFileException ignored) {
            // Already gone.
        } catch (IOException e) {
            logger.warn("cannot remove socket file {}", path, e);
        }
    }
}
