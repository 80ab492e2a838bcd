package io.fdpass.spi;

import io.netty.channel.Channel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/** The transports on the class or module path, found once: what {@link FdPassTransport}'s static methods read. */
final class Transports {
    /**
     * fdpass's own transports, fastest first, as measured on Linux (docs/PERFORMANCE.md, "Transports"): the one
     * servers and clients take unless told is the first of these that is available, whatever order the class path
     * lists them in; any other transport comes after them.
     */
    static final List<String> PREFERENCE = List.of("epoll", "io_uring", "kqueue");
    private static final List<FdPassTransport> ALL = load();

    private Transports() {
    }

    private static List<FdPassTransport> load() {
        List<FdPassTransport> all = new ArrayList<>();
        ServiceLoader.load(FdPassTransport.class, FdPassTransport.class.getClassLoader()).forEach(all::add);
        all.sort(Comparator.comparingInt(Transports::rank)); // stable: others keep the class path's order
        return List.copyOf(all);
    }

    private static int rank(FdPassTransport transport) {
        int rank = PREFERENCE.indexOf(transport.name());
        return rank < 0 ? PREFERENCE.size() : rank;
    }

    /** The first available transport in {@link #PREFERENCE}; an {@link IllegalStateException} saying why not. */
    static FdPassTransport pick() {
        if (ALL.isEmpty()) {
            throw new IllegalStateException("no fdpass transport on the class path: add fdpass-epoll or "
                    + "fdpass-io_uring (Linux), or fdpass-kqueue (macOS, BSD)");
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
     * Why a transport is unavailable, in one line: Netty's reason is often wrapped (an ExceptionInInitializerError
     * around "Only supported on OSX/BSD"), so this names the innermost cause that says something.
     */
    static String whyUnavailable(FdPassTransport transport) {
        Throwable cause = transport.unavailabilityCause();
        String reason = String.valueOf(cause);
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                reason = t.getClass().getSimpleName() + ": " + t.getMessage();
            }
        }
        return transport.name() + " is not available: " + reason;
    }

    /** {@link FdPassTransport#of(Channel)}. */
    static FdPassTransport of(Channel channel) {
        for (FdPassTransport transport : ALL) {
            if (transport.channelClass().isInstance(channel) || transport.serverChannelClass().isInstance(channel)) {
                return transport;
            }
        }
        throw new IllegalArgumentException("channel: " + channel.getClass().getName() + " (expected: a channel of "
                + names() + ")");
    }

    /** {@link FdPassTransport#named(String)}. */
    static FdPassTransport named(String name) {
        for (FdPassTransport transport : ALL) {
            if (transport.name().equals(name)) {
                return transport;
            }
        }
        throw new IllegalArgumentException("transport: " + name + " (expected: one of " + names() + ")");
    }

    static List<FdPassTransport> all() {
        return ALL;
    }

    private static String names() {
        return ALL.isEmpty() ? "none on the class path" : String.join(", ", ALL.stream().map(FdPassTransport::name)
                .toList());
    }
}
