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
            causes.append(causes.isEmpty() ? "" : "; ").append(transport.name()).append(": ")
                    .append(transport.unavailabilityCause());
        }
        throw new IllegalStateException("no fdpass transport is available on " + System.getProperty("os.name")
                + "/" + System.getProperty("os.arch") + " (" + causes + ")",
                ALL.getFirst().unavailabilityCause());
    }

    /** {@code transport} if it is available, else an {@link IllegalStateException} naming Netty's reason. */
    public static FdPassTransport checkAvailable(FdPassTransport transport) {
        if (!transport.isAvailable()) {
            throw new IllegalStateException("the " + transport.name() + " transport is not available: "
                    + transport.unavailabilityCause(), transport.unavailabilityCause());
        }
        return transport;
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
