package io.fdpass.internal;

import io.fdpass.Peer;
import io.fdpass.spi.FdPassTransport;
import io.netty.channel.Channel;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** The transports on the class or module path, found once. */
public final class Transports {
    private static final List<FdPassTransport> ALL = load();

    private Transports() {
    }

    private static List<FdPassTransport> load() {
        List<FdPassTransport> all = new ArrayList<>();
        ServiceLoader.load(FdPassTransport.class, FdPassTransport.class.getClassLoader()).forEach(all::add);
        return List.copyOf(all);
    }

    /** The first available transport; an {@link IllegalStateException} saying why there is none. */
    public static FdPassTransport pick() {
        if (ALL.isEmpty()) {
            throw new IllegalStateException("no fdpass transport on the class path: add fdpass-epoll (Linux) or "
                    + "fdpass-kqueue (macOS, BSD)");
        }
        StringBuilder causes = new StringBuilder();
        for (FdPassTransport transport : ALL) {
            if (transport.isAvailable()) {
                return transport;
            }
            causes.append(causes.isEmpty() ? "" : "; ").append(whyUnavailable(transport));
        }
        throw new IllegalStateException("no fdpass transport is available on " + System.getProperty("os.name")
                + "/" + System.getProperty("os.arch") + " (" + causes + ")",
                ALL.getFirst().unavailabilityCause());
    }

    /**
     * Loads the native library of every transport now: Netty extracts it to a temporary directory on first use,
     * which a confined thread cannot write.
     */
    public static void loadNatives() {
        for (FdPassTransport transport : ALL) {
            transport.isAvailable();
        }
    }

    /** {@code transport} if it is available, else an {@link IllegalStateException} naming Netty's reason. */
    public static FdPassTransport checkAvailable(FdPassTransport transport) {
        if (!transport.isAvailable()) {
            throw new IllegalStateException(whyUnavailable(transport), transport.unavailabilityCause());
        }
        return transport;
    }

    /**
     * Why a transport is unavailable, in one line: Netty's reason is often wrapped (an ExceptionInInitializerError
     * around "Only supported on OSX/BSD"), so this names the innermost cause that says something.
     */
    public static String whyUnavailable(FdPassTransport transport) {
        Throwable cause = transport.unavailabilityCause();
        String reason = String.valueOf(cause);
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                reason = t.getClass().getSimpleName() + ": " + t.getMessage();
            }
        }
        return transport.name() + " is not available: " + reason;
    }

    /** The credentials of the process that connected {@code channel}, asked of the transport that made it. */
    public static Peer peer(Channel channel) throws IOException {
        for (FdPassTransport transport : ALL) {
            if (transport.channelClass().isInstance(channel)) {
                return transport.peer(channel);
            }
        }
        throw new IOException("no fdpass transport knows " + channel.getClass().getName());
    }
}
