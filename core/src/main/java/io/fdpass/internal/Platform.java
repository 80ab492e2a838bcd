package io.fdpass.internal;

import java.util.Locale;

/**
 * Where fdpass's own natives exist: Linux and macOS, each on x86_64 and aarch64, where Netty ships epoll and kqueue
 * natives. Every class of this package loads everywhere; elsewhere their calls throw
 * {@link UnsupportedOperationException}.
 */
public final class Platform {
    private static final String OS = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    private static final String ARCH = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    static final boolean X86_64 = ARCH.equals("amd64") || ARCH.equals("x86_64");
    static final boolean AARCH64 = ARCH.equals("aarch64");
    /** Linux on x86_64 or aarch64. */
    public static final boolean LINUX = OS.startsWith("linux") && (X86_64 || AARCH64);
    /** macOS on x86_64 or aarch64. */
    public static final boolean DARWIN = (OS.startsWith("mac") || OS.startsWith("darwin")) && (X86_64 || AARCH64);
    /** Whether this package's bindings exist here. */
    public static final boolean AVAILABLE = LINUX || DARWIN;

    private Platform() {
    }

    /** {@code "Linux/amd64"}, for messages. */
    public static String describe() {
        return System.getProperty("os.name") + "/" + System.getProperty("os.arch");
    }
}
