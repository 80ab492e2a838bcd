package io.fdpass.internal;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** One thread-safe counter per constant of an enum, read as a map of the counts that are not zero. */
public final class EnumCounters<E extends Enum<E>> {
    private final Class<E> type;
    private final LongAdder[] adders;

    public EnumCounters(Class<E> type) {
        this.type = type;
        adders = new LongAdder[type.getEnumConstants().length];
        for (int i = 0; i < adders.length; i++) {
            adders[i] = new LongAdder();
        }
    }

    public void increment(E constant) {
        adders[constant.ordinal()].increment();
    }

    /** The counts that are not zero, in the enum's order. */
    public Map<E, Long> snapshot() {
        Map<E, Long> counts = new EnumMap<>(type);
        for (E constant : type.getEnumConstants()) {
            long n = adders[constant.ordinal()].sum();
            if (n != 0) {
                counts.put(constant, n);
            }
        }
        return counts;
    }
}
