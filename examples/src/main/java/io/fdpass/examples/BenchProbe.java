package io.fdpass.examples;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * What this JVM spent: CPU time and heap allocation of a group of its threads (by name, such as the server's event
 * loops {@code fdpass-server-*}), the whole process's CPU time, and the heap. Samples are cumulative: subtract two
 * to get what happened in between.
 */
final class BenchProbe {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** Thread name prefix of {@code FdPassServer}'s own event loop group. */
    static final String SERVER_THREADS = "fdpass-server";
    /** Thread name prefix of the load client's event loop group. */
    static final String CLIENT_THREADS = "fdpass-load";

    static {
        if (THREADS.isThreadCpuTimeSupported()) {
            THREADS.setThreadCpuTimeEnabled(true);
        }
        if (THREADS.isThreadAllocatedMemorySupported()) {
            THREADS.setThreadAllocatedMemoryEnabled(true);
        }
    }

    private BenchProbe() {
    }

    /**
     * @param threads     live threads of the group
     * @param cpuNanos    CPU time of the group's live threads so far (threads that ended are not counted)
     * @param allocBytes  heap the group's live threads allocated so far
     * @param processCpuNanos this JVM's CPU time so far (every thread: also GC and JIT compilers)
     * @param heapUsed    heap in use now (live and garbage, unless taken right after {@link #gc()})
     * @param heapCommitted heap the JVM holds from the OS
     */
    record Sample(int threads, long cpuNanos, long allocBytes, long processCpuNanos, long heapUsed,
            long heapCommitted, long nanoTime) {

        /** What happened between {@code earlier} and this one; threads and heap are this sample's. */
        Sample minus(Sample earlier) {
            return new Sample(threads, cpuNanos - earlier.cpuNanos, allocBytes - earlier.allocBytes,
                    processCpuNanos - earlier.processCpuNanos, heapUsed, heapCommitted,
                    nanoTime - earlier.nanoTime);
        }

        /** key=value words, as BenchServerCommand prints them and {@link #parse} reads them. */
        String format() {
            return String.format(Locale.ROOT, "threads=%d cpu_ns=%d alloc_bytes=%d process_cpu_ns=%d heap_used=%d "
                    + "heap_committed=%d nano_time=%d", threads, cpuNanos, allocBytes, processCpuNanos, heapUsed,
                    heapCommitted, nanoTime);
        }

        static Sample parse(String line) {
            return new Sample((int) field(line, "threads"), field(line, "cpu_ns"), field(line, "alloc_bytes"),
                    field(line, "process_cpu_ns"), field(line, "heap_used"), field(line, "heap_committed"),
                    field(line, "nano_time"));
        }
    }

    /** The threads whose names start with {@code prefix}. */
    static Sample sample(String prefix) {
        return sample(t -> t.getName().startsWith(prefix));
    }

    static Sample sample(Predicate<Thread> group) {
        int n = 0;
        long cpu = 0;
        long alloc = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!group.test(t)) {
                continue;
            }
            n++;
            long id = t.threadId();
            cpu += Math.max(0, THREADS.getThreadCpuTime(id));
            alloc += Math.max(0, THREADS.getThreadAllocatedBytes(id));
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return new Sample(n, cpu, alloc, OS.getProcessCpuTime(), heap.getUsed(), heap.getCommitted(),
                System.nanoTime());
    }

    /** Collects garbage until the heap in use stops shrinking (a few full GCs), so that it shows what is live. */
    static void gc() {
        long before = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (used >= before) {
                break;
            }
            before = used;
        }
    }

    /** Live platform threads of this JVM. */
    static int threadCount() {
        return THREADS.getThreadCount();
    }

    /** A {@code key=NUMBER} word of a line; -1 if missing. */
    static long field(String line, String key) {
        String prefix = key + "=";
        for (String word : line.trim().split("\\s+")) {
            if (word.startsWith(prefix)) {
                try {
                    return (long) Double.parseDouble(word.substring(prefix.length()));
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }
}
