package io.fdpass.testing;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** This process's effective user and group ids, from libc: on any Unix, no /proc needed. */
public final class Ids {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle GETEUID = id("geteuid");
    private static final MethodHandle GETEGID = id("getegid");

    private Ids() {
    }

    private static MethodHandle id(String name) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
    }

    public static int uid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int gid() {
        try {
            return (int) GETEGID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
