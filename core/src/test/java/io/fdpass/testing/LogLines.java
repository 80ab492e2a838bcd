package io.fdpass.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The messages one logger logs at INFO and above while this is open, as fdpass logs them through Netty's logging,
 * which is JUL in these tests (no other backend on their class path).
 */
public final class LogLines implements AutoCloseable {
    private final Logger logger;
    private final Level level;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            lines.add(record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private LogLines(String name) {
        logger = Logger.getLogger(name);
        level = logger.getLevel();
        logger.setLevel(Level.INFO);
        logger.addHandler(handler);
    }

    /** What the logger of this name logs (Netty's loggers are named after their class). */
    public static LogLines of(String name) {
        return new LogLines(name);
    }

    /** The messages so far, oldest first; live. */
    public List<String> lines() {
        return lines;
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
        logger.setLevel(level);
    }
}
