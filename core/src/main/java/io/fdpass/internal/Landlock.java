package io.fdpass.internal;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Linux's Landlock (5.13+): {@code landlock_create_ruleset(2)}, {@code landlock_add_rule(2)} and
 * {@code landlock_restrict_self(2)}, through {@code syscall(2)} as glibc has no wrappers, and {@code prctl(2)}'s
 * {@code no_new_privs}, which restricting needs without CAP_SYS_ADMIN. A domain applies to the calling thread and
 * what it starts later, never to a thread already running.
 *
 * <p>Rulesets handle every file system right of the ABI the kernel speaks, up to {@link #KNOWN_ABI} (the
 * documented downgrade: rights a kernel does not know cannot be handled), and no network right or scope.
 *
 * <p>Testing knob: {@code -Dio.fdpass.landlock.abi=N} makes {@link #abi()} answer at most N, 0 as if the kernel
 * had no Landlock; read at each call.
 */
public final class Landlock {
    public static final long ACCESS_FS_EXECUTE = 1L << 0;
    public static final long ACCESS_FS_WRITE_FILE = 1L << 1;
    public static final long ACCESS_FS_READ_FILE = 1L << 2;
    public static final long ACCESS_FS_READ_DIR = 1L << 3;
    // 1 << 4 .. 1 << 12: REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK,
    // MAKE_SYM (ABI 1); handled, never allowed here.
    private static final long ACCESS_FS_REFER = 1L << 13; // ABI 2
    private static final long ACCESS_FS_TRUNCATE = 1L << 14; // ABI 3
    private static final long ACCESS_FS_IOCTL_DEV = 1L << 15; // ABI 5
    /** The rights a rule on something other than a directory may carry. */
    private static final long FILE_ACCESS = ACCESS_FS_EXECUTE | ACCESS_FS_WRITE_FILE | ACCESS_FS_READ_FILE
            | ACCESS_FS_TRUNCATE | ACCESS_FS_IOCTL_DEV;

    /** The newest ABI this class knows: what later ABIs add stays unhandled, hence allowed. */
    public static final int KNOWN_ABI = 7;
    /** The testing knob, see the class comment. */
    public static final String ABI_PROPERTY = "io.fdpass.landlock.abi";

    // The same on every Linux architecture (424 and up are unified).
    private static final long SYS_CREATE_RULESET = 444;
    private static final long SYS_ADD_RULE = 445;
    private static final long SYS_RESTRICT_SELF = 446;
    private static final long CREATE_RULESET_VERSION = 1;
    private static final long RULE_PATH_BENEATH = 1;
    /** {@code struct landlock_ruleset_attr { u64 handled_access_fs, handled_access_net, scoped; }}: older kernels
     *  take the longer struct as long as what they do not know is zero. */
    private static final long RULESET_ATTR_SIZE = 24;
    private static final int PR_SET_NO_NEW_PRIVS = 38;

    // Every argument as a long: syscall(2) is variadic, and the kernel reads each from a whole register.
    private static final class Syscall {
        static final MethodHandle HANDLE = Ffm.bind("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), 1,
                Platform.LINUX);
    }

    private static final class Prctl {
        static final MethodHandle HANDLE = Ffm.bind("prctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), 1,
                Platform.LINUX);
    }

    /** The kernel's ABI version, or a negative errno (ENOSYS: none; EOPNOTSUPP: disabled at boot). */
    private static final int KERNEL_ABI = Platform.LINUX ? (int) syscall(SYS_CREATE_RULESET, 0, 0,
            CREATE_RULESET_VERSION) : -Errno.ENOSYS;

    private Landlock() {
    }

    /** The ABI version to use: the kernel's, at most the testing knob's; 0 where there is no Landlock. */
    public static int abi() {
        int abi = Math.max(KERNEL_ABI, 0);
        String knob = System.getProperty(ABI_PROPERTY);
        if (knob != null) {
            try {
                abi = Math.min(abi, Math.max(0, Integer.parseInt(knob.trim())));
            } catch (NumberFormatException e) {
                throw new IllegalStateException(ABI_PROPERTY + ": '" + knob + "' (expected: an integer >= 0)");
            }
        }
        return abi;
    }

    /** Why {@link #abi()} is 0, in words; null when it is not. */
    public static String unavailableReason() {
        if (abi() > 0) {
            return null;
        }
        if (KERNEL_ABI > 0) {
            return ABI_PROPERTY + "=" + System.getProperty(ABI_PROPERTY) + " (a testing knob)";
        }
        if (!Platform.LINUX) {
            return "Landlock is Linux's, this is " + Platform.describe();
        }
        if (KERNEL_ABI == -Errno.ENOSYS) {
            return "the kernel has none (ENOSYS: Linux 5.13 or later, built with CONFIG_SECURITY_LANDLOCK)";
        }
        if (KERNEL_ABI == -Errno.EOPNOTSUPP) {
            return "it is disabled (EOPNOTSUPP: not in the kernel's lsm= list)";
        }
        return "landlock_create_ruleset: " + Errno.strerror(KERNEL_ABI);
    }

    /** Every file system right that ABI {@code abi} knows. */
    static long handledAccess(int abi) {
        long all = (1L << 13) - 1; // ABI 1
        if (abi >= 2) {
            all |= ACCESS_FS_REFER;
        }
        if (abi >= 3) {
            all |= ACCESS_FS_TRUNCATE;
        }
        if (abi >= 5) {
            all |= ACCESS_FS_IOCTL_DEV;
        }
        return all;
    }

    private static long syscall(long number, long a, long b, long c) {
        try {
            return (long) Syscall.HANDLE.invokeExact(Ffm.scratch().errno, number, a, b, c, 0L);
        } catch (Throwable t) {
            throw Ffm.rethrow(t);
        }
    }

    /**
     * A set of rules, not yet enforced: each {@link #allow allows} some rights beneath a file or directory, and
     * every other right it handles is denied to the threads that {@link #restrictCurrentThread() restrict}
     * themselves with it. The rules name the files as they are when added, whatever their paths name later.
     */
    public static final class Ruleset implements AutoCloseable {
        private final int abi;
        private final long handled;
        /** Guarded by this; -1 once closed. */
        private int fd;

        private Ruleset(int abi, long handled, int fd) {
            this.abi = abi;
            this.handled = handled;
            this.fd = fd;
        }

        /**
         * An empty ruleset for the ABI {@link #abi()} answers.
         *
         * @throws UnsupportedOperationException where there is no Landlock, saying why
         */
        public static Ruleset create() throws IOException {
            int abi = Math.min(Landlock.abi(), KNOWN_ABI);
            if (abi <= 0) {
                throw new UnsupportedOperationException("Landlock is unavailable: " + unavailableReason());
            }
            long handled = handledAccess(abi);
            MemorySegment attr = Ffm.scratch().struct;
            attr.set(JAVA_LONG, 0, handled);
            attr.set(JAVA_LONG, 8, 0L);
            attr.set(JAVA_LONG, 16, 0L);
            long fd = syscall(SYS_CREATE_RULESET, attr.address(), RULESET_ATTR_SIZE, 0L);
            if (fd < 0) {
                throw new IOException("landlock_create_ruleset: " + Errno.strerror((int) fd));
            }
            return new Ruleset(abi, handled, (int) fd);
        }

        /** The ABI version whose rights this ruleset handles. */
        public int abi() {
            return abi;
        }

        /**
         * Allows {@code access} beneath {@code path} (a directory and everything beneath it, or a file), as far as
         * the ABI knows the rights; on a file, only those that apply to files.
         *
         * @param optional whether a path that cannot be opened (missing, unreachable) is skipped, not an error
         * @return whether a rule was added
         * @throws IOException if {@code path} cannot be opened (unless optional)
         */
        public synchronized boolean allow(Path path, long access, boolean optional) throws IOException {
            checkOpen();
            int target = Opens.openat(Opens.AT_FDCWD, path.toAbsolutePath().toString(),
                    Opens.O_PATH | Opens.O_CLOEXEC);
            if (target < 0) {
                if (optional) {
                    return false;
                }
                throw new IOException(path + ": " + Errno.strerror(target));
            }
            try {
                long[] stat = new long[FileStat.STAT_LENGTH];
                int r = FileStat.fstat(target, stat);
                if (r < 0) {
                    throw new IOException(path + ": " + Errno.strerror(r));
                }
                long allowed = access & handled & (FileStat.isDirectory(stat[FileStat.STAT_MODE]) ? -1L : FILE_ACCESS);
                MemorySegment rule = Ffm.scratch().struct; // struct landlock_path_beneath_attr, packed: u64, s32
                rule.set(JAVA_LONG, 0, allowed);
                rule.set(JAVA_INT, 8, target);
                long added = syscall(SYS_ADD_RULE, fd, RULE_PATH_BENEATH, rule.address());
                if (added < 0) {
                    throw new IOException("landlock_add_rule: " + path + ": " + Errno.strerror((int) added));
                }
                return true;
            } finally {
                Descriptors.close(target);
            }
        }

        /**
         * Sets {@code no_new_privs} on the calling thread (Landlock needs it unless the thread has CAP_SYS_ADMIN;
         * from then on, executing a set-user-ID program gains nothing), then restricts it to these rules, for good.
         */
        public synchronized void restrictCurrentThread() throws IOException {
            checkOpen();
            int r;
            try {
                r = (int) Prctl.HANDLE.invokeExact(Ffm.scratch().errno, PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L);
            } catch (Throwable t) {
                throw Ffm.rethrow(t);
            }
            if (r < 0) {
                throw new IOException("prctl(PR_SET_NO_NEW_PRIVS): " + Errno.strerror(r));
            }
            long restricted = syscall(SYS_RESTRICT_SELF, fd, 0, 0);
            if (restricted < 0) {
                throw new IOException("landlock_restrict_self: " + Errno.strerror((int) restricted)
                        + ((int) -restricted == Errno.E2BIG ? " (the thread is in 16 nested domains already)" : ""));
            }
        }

        private void checkOpen() {
            if (fd < 0) {
                throw new IllegalStateException("ruleset closed");
            }
        }

        @Override
        public synchronized void close() {
            if (fd >= 0) {
                Descriptors.close(fd);
                fd = -1;
            }
        }
    }
}
