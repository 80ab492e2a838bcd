package io.fdpass.examples;

import io.fdpass.client.FdPassClient;
import io.fdpass.spi.FdPassTransport;
import io.fdpass.client.ReceivedFile;
import io.fdpass.client.ReceivedReply;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code fdpass-bench read}: how fast a large file reads through a received descriptor, against the same file opened
 * directly, in one run: {@link ReceivedFile#read(ByteBuffer)} into a direct buffer against
 * {@link FileChannel#read(ByteBuffer)}, and {@link ReceivedFile#map(Arena)} against {@link FileChannel#map}. Every
 * variant sums the file's bytes as longs (the same loop for all), so that a mapping is really read and the variants
 * check each other. Page cache warm; the order of the variants rotates every repetition. Only the reading is timed
 * (for a mapping: map, read, unmap), not getting the descriptor (opening the file, or the request to the server),
 * which is reported apart ({@code open_us}): the load benchmark measures requests.
 */
final class BenchReadCommand {
    private static final Pattern SIZE = Pattern.compile("(\\d+)([kmg]?)(i?b)?");

    private long size = 256L << 20;
    private FdPassTransport transport;
    private Path file;
    private Path dir;
    private int reps = 9;
    private int warmupReps = 5;
    private long buffer = 1 << 20;
    private final List<String> only = new ArrayList<>();
    private final Options options = options();

    private Options options() {
        Options cli = new Options(BenchMain.NAME + " read",
                "Reads one large file through a descriptor received from an fdpass server (in this JVM), by channel "
                        + "and by mapping, and the same file through a FileChannel opened directly; prints MB/s "
                        + "(median of the repetitions) and the ratios.");
        cli.value("--transport", "NAME", Cli.TRANSPORT_HELP, v -> transport = Cli.transport(v));
        cli.value("--size", "BYTES", "Size of the file to create: 256m, 1g, 4096k ... (default: 256m).",
                v -> size = parseSize(v));
        cli.value("--file", "PATH", "Read this existing file instead of creating one (its directory is served).",
                v -> file = Path.of(v));
        cli.value("--dir", "DIR", "Where to create the file (default: the temporary directory).",
                v -> dir = Path.of(v));
        cli.value("--reps", "N", "Measured repetitions of each variant (default: 9).", v -> reps = Cli.integer(v));
        cli.value("--warmup-reps", "N", "Unmeasured repetitions first (default: 5).",
                v -> warmupReps = Cli.integer(v));
        cli.value("--buffer", "BYTES", "Direct buffer for the channel reads (default: 1m).",
                v -> buffer = parseSize(v));
        cli.value("--variants", "NAME", "Only these variants (default: all four): FileChannel.read, "
                + "ReceivedFile.read, FileChannel.map, ReceivedFile.map.", only::add).repeatable().split(",");
        return cli;
    }

    int run(String[] args) {
        int status = options.parse(args);
        return status != Options.RUN ? status : options.run(this::read);
    }

    private java.io.PrintStream out = System.out;

    /** For tests: where the report goes. */
    BenchReadCommand output(java.io.PrintStream out) {
        this.out = out;
        return this;
    }

    /** How a variant gets its descriptor: untimed. */
    private interface Variant {
        Source open() throws IOException;
    }

    /** A descriptor, opened or received, to read once (timed) and close. */
    private interface Source extends AutoCloseable {
        long read() throws IOException;

        @Override
        void close() throws IOException;
    }

    private interface Reader {
        long read() throws IOException;
    }

    private static Source source(Reader reader, AutoCloseable resource) {
        return new Source() {
            @Override
            public long read() throws IOException {
                return reader.read();
            }

            @Override
            public void close() throws IOException {
                try {
                    resource.close();
                } catch (IOException | RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IOException(e);
                }
            }
        };
    }

    private int read() throws Exception {
        long bytes = size;
        if (reps < 1 || warmupReps < 0 || buffer < 8 || buffer > 1 << 30 || buffer % 8 != 0 || bytes < 8) {
            return options.usageError("--reps, --size and --buffer must be positive, --buffer a multiple of 8 "
                    + "(at most 1g)");
        }
        int bufferSize = (int) buffer;
        Path created = null;
        Path target = file;
        if (target == null) {
            created = Files.createTempDirectory(dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir")),
                    "fdpass-read-");
            target = created.resolve("bench-read.bin");
            write(target, bytes);
        }
        target = target.toAbsolutePath();
        long length = Files.size(target);
        String name = target.getFileName().toString();
        MemorySegment chunk = Arena.ofAuto().allocate(bufferSize, 4096);
        ByteBuffer direct = chunk.asByteBuffer();
        Path socketDir = Files.createTempDirectory("fdpass-read-sock-");
        try (BenchServerCommand.BenchServer server = BenchServerCommand.BenchServer.start(socketDir.resolve("s.sock"),
                target.getParent(), transport, null, null, null);
             FdPassClient client = (transport != null ? FdPassClient.builder().transport(transport)
                     : FdPassClient.builder()).socket(server.socketPath()).connect()) {
            Path path = target;
            // Each variant first gets its descriptor (opens the file, or asks the server for it), untimed, then
            // reads the whole file (for a mapping: maps, reads, unmaps), timed.
            Map<String, Variant> variants = new LinkedHashMap<>();
            variants.put("FileChannel.read", () -> {
                FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
                return source(() -> readAll(ch, direct, chunk), ch);
            });
            variants.put("ReceivedFile.read", () -> {
                ReceivedReply reply = client.request(name).join();
                return source(() -> readAll(reply.entry(0).file(), direct, chunk), reply);
            });
            variants.put("FileChannel.map", () -> {
                FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
                return source(() -> {
                    try (Arena arena = Arena.ofConfined()) {
                        return sumMapped(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena), bufferSize);
                    }
                }, ch);
            });
            variants.put("ReceivedFile.map", () -> {
                ReceivedReply reply = client.request(name).join();
                return source(() -> {
                    try (Arena arena = Arena.ofConfined()) {
                        return sumMapped(reply.entry(0).file().map(arena), bufferSize);
                    }
                }, reply);
            });
            if (!only.isEmpty()) {
                variants.keySet().retainAll(only);
                if (variants.isEmpty()) {
                    out.println("bench read: no such variant: " + only);
                    return Cli.USAGE;
                }
            }
            List<String> order = new ArrayList<>(variants.keySet());
            Map<String, double[]> mbs = new LinkedHashMap<>();
            Map<String, double[]> acquireMicros = new LinkedHashMap<>();
            for (String v : order) {
                mbs.put(v, new double[reps]);
                acquireMicros.put(v, new double[reps]);
            }
            Long expected = null;
            for (int rep = -warmupReps; rep < reps; rep++) {
                for (int k = 0; k < order.size(); k++) {
                    String v = order.get(Math.floorMod(rep + k, order.size()));
                    long t0 = System.nanoTime();
                    long checksum;
                    long t1;
                    long t2;
                    try (Source source = variants.get(v).open()) {
                        t1 = System.nanoTime();
                        checksum = source.read();
                        t2 = System.nanoTime();
                    }
                    if (expected == null) {
                        expected = checksum;
                    } else if (checksum != expected) {
                        System.err.println("bench read: " + v + " read other bytes (checksum " + checksum + ", not "
                                + expected + ")");
                        return 1;
                    }
                    if (rep >= 0) {
                        mbs.get(v)[rep] = length / 1e6 / ((t2 - t1) / 1e9);
                        acquireMicros.get(v)[rep] = (t1 - t0) / 1e3;
                    }
                }
            }
            out.printf(Locale.ROOT, "file=%s bytes=%d buffer=%d reps=%d (after %d unmeasured), page cache "
                    + "warm%n", target, length, bufferSize, reps, warmupReps);
            out.printf(Locale.ROOT, "%-18s %10s %10s %10s %12s%n", "variant", "MB/s", "min", "max", "open_us");
            for (String v : order) {
                double[] r = mbs.get(v).clone();
                Arrays.sort(r);
                out.printf(Locale.ROOT, "%-18s %10.0f %10.0f %10.0f %12.0f%n", v, median(r), r[0],
                        r[r.length - 1], median(acquireMicros.get(v)));
            }
            if (variants.size() == 4) {
                double fcRead = median(mbs.get("FileChannel.read"));
                double fcMap = median(mbs.get("FileChannel.map"));
                double rfRead = median(mbs.get("ReceivedFile.read"));
                double rfMap = median(mbs.get("ReceivedFile.map"));
                out.printf(Locale.ROOT, "ratio ReceivedFile.read/FileChannel.read=%.3f "
                        + "ReceivedFile.map/FileChannel.map=%.3f ReceivedFile.map/FileChannel.read=%.3f%n",
                        rfRead / fcRead, rfMap / fcMap, rfMap / fcRead);
            }
            return 0;
        } finally {
            LoadServer.deleteQuietly(socketDir);
            if (created != null) {
                LoadServer.deleteQuietly(created);
            }
        }
    }

    private static long readAll(java.nio.channels.ReadableByteChannel ch, ByteBuffer buffer, MemorySegment chunk)
            throws IOException {
        long sum = 0;
        for (;;) {
            buffer.clear();
            int n = ch.read(buffer);
            if (n < 0) {
                return sum;
            }
            sum += sum(chunk, 0, n);
        }
    }

    /** Sums a mapping chunk by chunk, as the channel variants do: the same loop, called as often. */
    private static long sumMapped(MemorySegment segment, long chunk) {
        long sum = 0;
        long size = segment.byteSize();
        for (long from = 0; from < size; from += chunk) {
            sum += sum(segment, from, Math.min(size, from + chunk));
        }
        return sum;
    }

    /**
     * Sums bytes {@code [from, to)} as native-order longs; a tail of under 8 bytes byte by byte. The sum is of
     * 8-byte words from {@code from}: chunks that start at multiples of 8 add up to the same as the whole.
     */
    static long sum(MemorySegment segment, long from, long to) {
        long sum = 0;
        long end = from + ((to - from) & ~7L);
        for (long i = from; i < end; i += 8) {
            sum += segment.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
        }
        for (long i = end; i < to; i++) {
            sum += segment.get(ValueLayout.JAVA_BYTE, i);
        }
        return sum;
    }

    private static void write(Path target, long bytes) throws IOException {
        SplittableRandom random = new SplittableRandom(42);
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long left = bytes;
            while (left > 0) {
                chunk.clear();
                while (chunk.remaining() >= 8) {
                    chunk.putLong(random.nextLong());
                }
                chunk.flip();
                chunk.limit((int) Math.min(chunk.limit(), left));
                while (chunk.hasRemaining()) {
                    left -= ch.write(chunk);
                }
            }
        }
    }

    static long parseSize(String s) {
        Matcher m = SIZE.matcher(s.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + s + "' is not a size (e.g. 256m, 1g)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "k" -> n << 10;
            case "m" -> n << 20;
            case "g" -> n << 30;
            default -> n;
        };
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
