package io.fdpass.examples;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoadHistogramTest {
    @Test
    void bucketsCoverEveryValueWithinOnePart128() {
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 100_000; i++) {
            long v = random.nextLong(Long.MAX_VALUE) >>> random.nextInt(63);
            int index = LoadHistogram.index(v);
            long low = LoadHistogram.lowest(index);
            long high = LoadHistogram.highest(index);
            assertTrue(low <= v && v <= high, v + " in [" + low + ", " + high + "]");
            assertTrue(high - low <= Math.max(0, v / 128), v + ": bucket [" + low + ", " + high + "] too wide");
        }
        for (long v = 0; v < 128; v++) { // exact below 128 ns
            assertEquals(v, LoadHistogram.lowest(LoadHistogram.index(v)));
            assertEquals(v, LoadHistogram.highest(LoadHistogram.index(v)));
        }
        assertEquals(127, LoadHistogram.index(127));
        assertEquals(128, LoadHistogram.index(128));
        assertTrue(LoadHistogram.index(Long.MAX_VALUE) < 58 * 128);
    }

    @Test
    void percentilesMatchSortingWithinTheBucketWidth() {
        SplittableRandom random = new SplittableRandom(2);
        long[] values = new long[50_001];
        LoadHistogram a = new LoadHistogram();
        LoadHistogram b = new LoadHistogram();
        for (int i = 0; i < values.length; i++) {
            values[i] = 1_000 + (long) (Math.exp(random.nextDouble() * 12) * 1_000); // 2 us .. 160 ms, skewed
            (i % 2 == 0 ? a : b).record(values[i]);
        }
        a.add(b);
        Arrays.sort(values);
        assertEquals(values.length, a.count());
        assertEquals(values[values.length - 1], a.max());
        for (double q : new double[] {0, 0.5, 0.9, 0.99, 0.999, 1}) {
            long exact = values[(int) Math.min(values.length - 1, Math.floor(values.length * q))];
            long got = a.percentile(q);
            assertTrue(Math.abs(got - exact) <= exact / 128 + 1, q + ": " + got + " vs " + exact);
        }
        assertEquals(0, new LoadHistogram().percentile(0.99));
    }
}
