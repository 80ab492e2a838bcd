package io.fdpass.examples;

import io.fdpass.spi.FdPassTransport;
import jdk.jfr.FlightRecorder;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the example programs share: option values, messages, escaping, the version. */
final class Cli {
    /** Exit status for an invalid command line. */
    static final int USAGE = Options.USAGE;
    /** How much of a name {@link #displayName} shows. */
    static final int NAME_SHOWN = 80;
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)?");

    private Cli() {
    }

    /** Sets a system property unless the command line did ({@code -Dkey=value}). */
    static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /**
     * Netty's Flight Recorder events (its allocator's) on only where a recording runs from the JVM's start
     * ({@code -XX:StartFlightRecording}), unless {@code -Dio.netty.jfr.enabled} says otherwise. Netty reads the
     * property once; the first use of each event class loads and instruments it, which a program's first
     * connection would otherwise wait for. A recording started later gets fdpass's events, not Netty's.
     */
    static void nettyEventsOnlyWhenRecording() {
        setDefault("io.netty.jfr.enabled", Boolean.toString(FlightRecorder.isInitialized()));
    }

    /** One line for people: the message, with the exception's kind where the message alone would be cryptic. */
    static String describe(Throwable e) {
        while ((e instanceof ExecutionException || e instanceof CompletionException
                || e instanceof UncheckedIOException) && e.getCause() != null) {
            e = e.getCause();
        }
        String message;
        if (e instanceof NoSuchFileException f) {
            message = f.getFile() + ": no such file or directory";
        } else if (e instanceof AccessDeniedException f) {
            message = f.getFile() + ": permission denied";
        } else if (e instanceof FileSystemException f && f.getReason() != null) {
            message = f.getFile() + ": " + f.getReason();
        } else if (e.getMessage() == null || e.getMessage().isBlank()) {
            message = e.getClass().getName();
        } else {
            message = e.getMessage();
        }
        return firstLine(message);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * {@code bytes} as one line of printable ASCII: {@code \\}, {@code \n}, {@code \r}, {@code \t}, and
     * {@code \xNN} for every other byte outside 0x20..0x7e.
     */
    static String escape(byte[] bytes, int length) {
        StringBuilder out = new StringBuilder(length + 8);
        for (int i = 0; i < length; i++) {
            int b = bytes[i] & 0xff;
            switch (b) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (b >= 0x20 && b < 0x7f) {
                        out.append((char) b);
                    } else {
                        out.append(String.format("\\x%02x", b));
                    }
                }
            }
        }
        return out.toString();
    }

    /**
     * A name (any UTF-8, newlines included) made safe for one line of output or log: control characters and
     * backslashes escaped as in {@link #escape(byte[], int)}, everything else kept.
     */
    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\x%02x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    /**
     * A name for one line of output or log: {@link #escape(String) escaped}, and cut after {@value #NAME_SHOWN}
     * characters with its length in bytes said, so that a long one floods no terminal and no log; the empty name as
     * {@code ""}, so that it shows.
     */
    static String displayName(String name) {
        if (name.isEmpty()) {
            return "\"\"";
        }
        String escaped = escape(name);
        return escaped.length() <= NAME_SHOWN ? escaped : escaped.substring(0, NAME_SHOWN) + "... ("
                + name.getBytes(StandardCharsets.UTF_8).length + " bytes)";
    }

    /**
     * A duration as people write it: {@code 10s}, {@code 500ms}, {@code 2m}, {@code 0}, or ISO-8601 {@code PT10S}.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    static Duration duration(String value) {
        Matcher m = DURATION.matcher(value.trim().toLowerCase(Locale.ROOT));
        try {
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                String unit = m.group(2);
                if (unit == null && n != 0) {
                    throw new IllegalArgumentException("'" + value + "' needs a unit: ms, s, m or h (e.g. 10s)");
                }
                return switch (unit == null ? "s" : unit) {
                    case "ms" -> Duration.ofMillis(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofSeconds(n);
                };
            }
            Duration d = Duration.parse(value);
            if (d.isNegative()) {
                throw new IllegalArgumentException("'" + value + "' is negative");
            }
            return d;
        } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a duration (e.g. 500ms, 10s, 2m, PT10S)");
        }
    }

    /** A uid or gid: 0..4294967295 (uids are unsigned); an IllegalArgumentException saying what is wrong. */
    static int id(String value) {
        try {
            return Integer.parseUnsignedInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a numeric id");
        }
    }

    /** What {@code --transport}'s help says. */
    static final String TRANSPORT_HELP = "The Netty transport: epoll or io_uring (Linux), kqueue (macOS, BSD) "
            + "(default: the fastest one available here).";

    /**
     * {@code --transport NAME}: an fdpass transport on the class path, by its name ({@link FdPassTransport#named});
     * an IllegalArgumentException naming those there are.
     */
    static FdPassTransport transport(String value) {
        return FdPassTransport.named(value.trim());
    }

    /** A decimal int; an IllegalArgumentException saying what is wrong. */
    static int integer(String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not an int");
        }
    }

    /** A decimal long; an IllegalArgumentException saying what is wrong. */
    static long longInteger(String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a long");
        }
    }

    /** A file mode as permission bits: octal ({@code 0660}, {@code 660}) or symbolic ({@code rw-rw----}). */
    record Mode(Set<PosixFilePermission> permissions) {
        private static final PosixFilePermission[] BITS = {
                PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};

        static Mode parse(String value) {
            String v = value.trim();
            if (v.matches("0?[0-7]{3}")) {
                int bits = Integer.parseInt(v, 8);
                Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
                for (int i = 0; i < BITS.length; i++) {
                    if ((bits & (1 << i)) != 0) {
                        set.add(BITS[i]);
                    }
                }
                return new Mode(set);
            }
            try {
                return new Mode(java.nio.file.attribute.PosixFilePermissions.fromString(v));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "'" + value + "' is not a mode: octal permission bits such as 0660, or rw-rw----");
            }
        }

        @Override
        public String toString() {
            int bits = 0;
            for (int i = 0; i < BITS.length; i++) {
                if (permissions.contains(BITS[i])) {
                    bits |= 1 << i;
                }
            }
            return String.format("0%03o", bits);
        }
    }

    /** {@code --version}: this program's, fdpass's and Netty's versions, and the JVM's. */
    static List<String> version(String program) {
        Properties p = new Properties();
        try (InputStream in = Cli.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String fdpass = p.getProperty("fdpass.version", "unknown");
        return List.of(program + " " + fdpass,
                "fdpass " + fdpass + ", Netty " + p.getProperty("netty.version", "unknown"),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + "), "
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    }
}
