package io.fdpass.examples;

/**
 * Latencies in nanoseconds, counted in log-linear buckets (128 per power of two: each value is kept to within
 * 1/128, under 0.8 %), in a fixed array: recording allocates nothing. Not thread-safe: one per recording thread,
 * {@link #add merged} once they are done.
 */
final class LoadHistogram {
    private static final int SUB_BITS = 7;
    private static final int SUB = 1 << SUB_BITS;
    private static final int BUCKETS = (64 - SUB_BITS + 1) * SUB;

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long max;

    void record(long nanos) {
        long v = Math.max(0, nanos);
        counts[index(v)]++;
        total++;
        if (v > max) {
            max = v;
        }
    }

    void add(LoadHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        max = Math.max(max, other.max);
    }

    long count() {
        return total;
    }

    long max() {
        return max;
    }

    /**
     * The value at {@code quantile} (0..1), as fdref-client picks it: the sorted values' element at index
     * {@code floor(count × quantile)}; reported as its bucket's midpoint, capped at the maximum. 0 when empty.
     */
    long percentile(double quantile) {
        if (total == 0) {
            return 0;
        }
        long rank = Math.min(total - 1, (long) Math.floor(total * quantile));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen > rank) {
                return Math.min(max, (lowest(i) + highest(i)) / 2);
            }
        }
        return max;
    }

    static int index(long v) {
        if (v < SUB) {
            return (int) v;
        }
        // [2^h, 2^(h+1)) for h >= SUB_BITS is split into SUB buckets of 2^(h - SUB_BITS) values each.
        int exponent = 63 - Long.numberOfLeadingZeros(v) - SUB_BITS + 1; // >= 1
        return exponent * SUB + (int) ((v >>> (exponent - 1)) & (SUB - 1));
    }

    static long lowest(int index) {
        int exponent = index / SUB;
        long sub = index % SUB;
        if (exponent == 0) {
            return sub;
        }
        return (SUB + sub) << (exponent - 1);
    }

    static long highest(int index) {
        int exponent = index / SUB;
        if (exponent == 0) {
            return lowest(index);
        }
        return lowest(index) + (1L << (exponent - 1)) - 1;
    }
}
