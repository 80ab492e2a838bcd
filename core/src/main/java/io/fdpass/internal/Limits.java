package io.fdpass.internal;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** This process's resource limits ({@code getrlimit(2)}). */
public final class Limits {
    /** {@code RLIMIT_NOFILE}: 7 on Linux, 8 on macOS. */
    private static final int RLIMIT_NOFILE = Platform.DARWIN ? 8 : 7;
    /** {@code RLIM_INFINITY} as a signed 64-bit value: all ones on Linux, 2^63 - 1 on macOS; either way "none". */
    private static final long NO_LIMIT = Long.MAX_VALUE;

    private static final class Getrlimit {
        static final MethodHandle HANDLE = Ffm.bind("getrlimit",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), -1);
    }

    private Limits() {
    }

    /**
     * The soft {@code RLIMIT_NOFILE}: the descriptors this process may have open, and on Linux also how many
     * descriptors its user may have in flight over Unix sockets (sent, not yet received) before each send fails
     * with {@code ETOOMANYREFS}.
     *
     * @return the limit ({@link Long#MAX_VALUE} for none), or a negative errno
     */
    public static long openFiles() {
        Ffm.Scratch s = Ffm.scratch();
        try {
            int r = (int) Getrlimit.HANDLE.invokeExact(s.errno, RLIMIT_NOFILE, s.struct);
            if (r < 0) {
                return r;
            }
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
        long soft = s.struct.get(JAVA_LONG, 0); // struct rlimit { rlim_t rlim_cur, rlim_max; }, 64-bit both
        return soft < 0 ? NO_LIMIT : soft;
    }
}
