package io.fdpass.spi;

import io.fdpass.internal.Descriptors;
import io.fdpass.internal.Errno;
import io.fdpass.internal.Platform;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ServerChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Serving on a socket that is bound and listening already (made by the server's own thread, or handed over by a
 * launcher such as systemd) with a transport whose server channel cannot be made on one: Netty 4.2's
 * {@code IoUringServerDomainSocketChannel} has no constructor that takes a descriptor. Linux only.
 */
public final class ListeningSockets {
    private static final SecureRandom RANDOM = new SecureRandom();

    private ListeningSockets() {
    }

    /**
     * {@code unbound}, which takes the listening socket {@code listeningFd} once registered. As it registers, before
     * its first accept, it binds to a placeholder, an abstract address of 24 random bytes (no file is made, and no
     * one is told the name), and then takes the listening socket in place of its own under its descriptor number
     * ({@code dup3(2)}, close-on-exec), which closes the placeholder's socket and {@code listeningFd}. So the
     * registered channel is active, accepts on the listening socket, and does not own its path; its
     * {@code localAddress()} is the placeholder's. It passes on one {@code channelActive} of the two Netty fires (one
     * for the bind, one for the registration of an active channel). If taking the socket fails, it logs why,
     * closes {@code listeningFd} and the channel, which then is not active once registered.
     *
     * @param unbound a new server channel, neither registered nor bound
     * @param listeningFd a listening Unix stream socket; the channel owns it from now on
     */
    public static <C extends ServerChannel & UnixChannel> C adopt(C unbound, int listeningFd) {
        if (!Platform.LINUX) {
            throw new UnsupportedOperationException("adopting a listening socket is Linux's (abstract addresses, "
                    + "dup3)");
        }
        if (unbound.isRegistered() || unbound.isActive()) {
            throw new IllegalArgumentException("unbound: " + unbound + " (expected: neither registered nor bound)");
        }
        unbound.pipeline().addFirst(new Adoption(listeningFd));
        return unbound;
    }

    /** Binds to the placeholder and takes the listening socket, in handlerAdded: when the channel registers. */
    private static final class Adoption extends ChannelInboundHandlerAdapter {
        private static final InternalLogger logger = InternalLoggerFactory.getInstance(ListeningSockets.class);

        private int listeningFd;
        private boolean activePassedOn;

        Adoption(int listeningFd) {
            this.listeningFd = listeningFd;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            byte[] name = new byte[24];
            RANDOM.nextBytes(name);
            // Netty binds a path whose first byte is NUL in the abstract namespace: no file, no one to find it.
            ChannelFuture bound = ctx.bind(new DomainSocketAddress("\0fdpass-" + HexFormat.of().formatHex(name)));
            String problem = null;
            if (!bound.isDone()) {
                problem = "the channel did not bind at once";
            } else if (!bound.isSuccess()) {
                problem = "cannot bind a placeholder: " + bound.cause().getMessage();
            } else {
                int r = Descriptors.dup3(listeningFd, ((UnixChannel) ctx.channel()).fd().intValue());
                if (r < 0) {
                    problem = "dup3: " + Errno.strerror(r);
                }
            }
            Descriptors.close(listeningFd);
            listeningFd = -1;
            if (problem != null) {
                logger.warn("cannot serve on a listening socket with {}: {}", ctx.channel(), problem, bound.cause());
                ctx.channel().close();
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (!activePassedOn) {
                activePassedOn = true;
                ctx.fireChannelActive();
            } else {
                ctx.pipeline().remove(this);
            }
        }
    }
}
