package io.fdpass.testing;

import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Makes Netty's leak reports fail tests. Installed for the whole launcher session (META-INF/services), so that its
 * detector exists before the first buffer class loads; tests run with {@code -Dio.netty.leakDetection.level=paranoid}.
 */
public final class LeakCheck implements LauncherSessionListener {
    private static final List<String> LEAKS = new ArrayList<>();

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                    long maxActive) {
                return new ResourceLeakDetector<>(resource, samplingInterval) {
                    @Override
                    protected void reportTracedLeak(String resourceType, String records) {
                        record(resourceType + " leaked: " + records);
                    }

                    @Override
                    protected void reportUntracedLeak(String resourceType) {
                        record(resourceType + " leaked");
                    }
                };
            }
        });
    }

    private static synchronized void record(String leak) {
        LEAKS.add(leak);
    }

    /** Collects garbage, lets the detector look at it, and fails if anything leaked since the last call. */
    public static void assertNoLeaks() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            // The detector reports collected leaks when the next buffer is tracked.
            for (int j = 0; j < 8; j++) {
                ByteBufAllocator.DEFAULT.directBuffer(1).release();
                ByteBufAllocator.DEFAULT.heapBuffer(1).release();
            }
        }
        List<String> leaks;
        synchronized (LeakCheck.class) {
            leaks = List.copyOf(LEAKS);
            LEAKS.clear();
        }
        if (!leaks.isEmpty()) {
            fail(leaks.size() + " buffer leak(s):\n" + String.join("\n", leaks));
        }
    }
}
