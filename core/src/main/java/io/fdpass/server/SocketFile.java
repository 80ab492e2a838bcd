package io.fdpass.server;

import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.Platform;
import io.fdpass.internal.SocketCalls;
import io.fdpass.spi.FdPassTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ServerChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.NetUtil;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
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
import java.util.concurrent.ThreadLocalRandom;

/**
 * The socket file a server creates and removes: claimed (a stale one replaced, a live server's refused), bound with
 * its mode set before anyone can connect, and at shutdown removed only if it is still the server's own.
 *
 * @param path where it is
 * @param key its file key when it was created, to recognize it
 */
record SocketFile(Path path, Object key) {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(SocketFile.class);
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    /** How much longer than the directory's path the staging socket's is: {@code /.fdpass-XXXXXXXX/s}. */
    private static final int STAGING_EXTRA = 19;

    /** A listening channel and the socket file it listens on. */
    public record Bound(Channel channel, SocketFile file) {
    }

    /**
     * Refuses a path too long for a socket, where a server listens or that is not a socket; removes a stale socket
     * file.
     */
    public static void claim(Path path) throws IOException {
        String problem = SocketCalls.socketPathProblem(path);
        if (problem != null) {
            throw new IOException("socket: " + problem);
        }
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
     *
     * @param bootstrap with its group and child handler, but no channel yet
     */
    public static Bound bind(Path path, Set<PosixFilePermission> mode, ServerBootstrap bootstrap,
            FdPassTransport transport) throws IOException {
        Path dir = stagingDirectory(path);
        Path staging = dir.resolve("s");
        Channel channel = null;
        try {
            channel = listen(staging, bootstrap, transport, path);
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

    /**
     * A private directory beside {@code path} to bind in, its name short so that the staging socket's path is barely
     * longer than {@code path}'s directory. Failures name the user's directory, not the private one. The name needs
     * no secure random: whoever guessed it could only make the server fail to start, as anyone who may write in that
     * directory can (a file at the socket's path does it), and the directory is created, never followed; and a
     * SecureRandom's first use loads the security providers, a large part of a server's start.
     */
    private static Path stagingDirectory(Path path) throws IOException {
        Path parent = path.getParent();
        int length = parent.toString().getBytes(StandardCharsets.UTF_8).length + STAGING_EXTRA;
        if (length > SocketCalls.MAX_SOCKET_PATH) {
            throw new IOException("socket: " + path + ": its directory's path is too long to bind in ("
                    + (length - STAGING_EXTRA) + " bytes, expected: <= " + (SocketCalls.MAX_SOCKET_PATH - STAGING_EXTRA)
                    + ")");
        }
        for (int attempt = 0; ; attempt++) {
            Path dir = parent.resolve(".fdpass-" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 24, 36));
            try {
                return Files.createDirectory(dir,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                if (attempt == 10) {
                    throw e;
                }
            } catch (AccessDeniedException e) {
                throw new IOException("socket: cannot create a socket in " + parent + ": permission denied", e);
            }
        }
    }

    /**
     * A channel listening on {@code staging}. On Linux this thread makes the socket and Netty's channel adopts it,
     * so that no event loop creates a file (a confined one could not); Netty's kqueue channel cannot adopt a
     * listening socket, so elsewhere Netty binds.
     */
    private static Channel listen(Path staging, ServerBootstrap bootstrap, FdPassTransport transport, Path path)
            throws IOException {
        if (Platform.LINUX) {
            int fd = SocketCalls.listen(staging.toString(), NetUtil.SOMAXCONN);
            if (fd < 0) {
                throw new IOException("socket: cannot listen on " + path + ": " + Errno.strerror(fd));
            }
            ServerChannel listening;
            try {
                listening = transport.newServerChannel(fd);
            } catch (RuntimeException e) {
                Descriptors.close(fd);
                throw e;
            }
            return register(bootstrap, listening, "socket " + path);
        }
        ChannelFuture bound = bootstrap.channel(transport.serverChannelClass())
                .bind(new DomainSocketAddress(staging.toString())).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IOException("socket: cannot listen on " + path + ": " + bound.cause().getMessage(),
                    bound.cause());
        }
        return bound.channel();
    }

    /**
     * Serves on a channel made of a listening descriptor (handed over, or made by {@link #bind}).
     *
     * @param bootstrap with its group and child handler, but no channel yet
     * @param what names the socket in messages
     */
    public static Channel register(ServerBootstrap bootstrap, ServerChannel listening, String what)
            throws IOException {
        ChannelFuture registered = bootstrap.channelFactory(() -> listening).register().awaitUninterruptibly();
        if (!registered.isSuccess() || !registered.channel().isActive()) {
            registered.channel().close().awaitUninterruptibly();
            throw new IOException(what + ": cannot serve on it: "
                    + (registered.cause() != null ? registered.cause().getMessage() : "not active"),
                    registered.cause());
        }
        return registered.channel();
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
