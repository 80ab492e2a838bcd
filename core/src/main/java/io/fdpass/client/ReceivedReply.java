package io.fdpass.client;

import io.fdpass.codec.FdPassReply;
import io.fdpass.codec.FileStatus;
import io.fdpass.files.Names;
import io.netty.channel.unix.FileDescriptor;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The answer to one request: an entry per requested name, in request order. Closing the reply closes every
 * received file that was not closed or detached yet.
 */
public final class ReceivedReply implements AutoCloseable {
    private final List<Entry> entries;

    private ReceivedReply(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** The reply to {@code names}: one entry per name of {@code reply}, each OK one with the next descriptor. */
    static ReceivedReply of(List<String> names, FdPassReply reply, FileDescriptor[] descriptors,
            ClientCounters stats) {
        List<Entry> entries = new ArrayList<>(reply.count());
        int next = 0;
        for (int i = 0; i < reply.count(); i++) {
            ReceivedFile file = null;
            if (reply.statusCode(i) == FileStatus.OK.code()) {
                file = new ReceivedFile(names.get(i), descriptors[next++].intValue(), reply.size(i), stats);
            }
            entries.add(new Entry(names.get(i), reply.statusCode(i), reply.size(i), file));
        }
        return new ReceivedReply(entries);
    }

    /** An entry per requested name, in request order. */
    public List<Entry> entries() {
        return entries;
    }

    /** The entry of the {@code index}th requested name. */
    public Entry entry(int index) {
        return entries.get(index);
    }

    /** Whether every name was opened. */
    public boolean allOk() {
        for (Entry entry : entries) {
            if (entry.status() != FileStatus.OK) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        for (Entry entry : entries) {
            if (entry.file != null) {
                entry.file.close();
            }
        }
    }

    @Override
    public String toString() {
        return "ReceivedReply" + entries;
    }

    /** One name's outcome. */
    public static final class Entry {
        private final String name;
        private final int statusCode;
        private final long size;
        private final ReceivedFile file;

        Entry(String name, int statusCode, long size, ReceivedFile file) {
            this.name = name;
            this.statusCode = statusCode;
            this.size = size;
            this.file = file;
        }

        /** The name as requested. */
        public String name() {
            return name;
        }

        /** What the server answered for the name; {@link FileStatus#UNKNOWN} for a code this version does not know. */
        public FileStatus status() {
            return FileStatus.valueOf(statusCode);
        }

        /** The status code as sent, including codes this version does not know. */
        public int statusCode() {
            return statusCode;
        }

        /** Whether the name was opened: its {@link #file()} is there. */
        public boolean isOk() {
            return file != null;
        }

        /**
         * Why this name was not opened, in words for a message, or null if it was. For {@link FileStatus#INVALID_NAME}
         * it says which part of protocol v1's rule for names the name breaks, told from the name as this client sent
         * it (the wire says only INVALID_NAME): {@code "invalid name: a '..' component"}, {@code "invalid name:
         * empty"}, {@code "invalid name: too long: 5000 bytes (expected: at most 4096)"}; a name that keeps the rule
         * was refused as it resolved, beneath the server's root.
         */
        public String reason() {
            return switch (status()) {
                case OK -> null;
                case NOT_FOUND -> "no such file under the server's root";
                case PERMISSION_DENIED -> "permission denied (the server may not open it, or does not serve it to you)";
                case INVALID_NAME -> {
                    byte[] sent = name.getBytes(StandardCharsets.UTF_8);
                    String problem = Names.problem(sent, sent.length);
                    yield problem != null ? "invalid name: " + problem
                            : "it leads outside the server's root (a symlink out of it, a loop, a magic link) or holds "
                                    + "a component too long for its filesystem";
                }
                case NOT_REGULAR_FILE -> "not a regular file";
                case IO_ERROR -> "the server could not open it (I/O error)";
                case LIMIT_EXCEEDED -> "the server is out of file descriptors";
                case UNKNOWN -> "failed with status " + statusCode + ", which this client does not know";
            };
        }

        /** The size the server announced; 0 unless OK. */
        public long size() {
            return size;
        }

        /**
         * The received file.
         *
         * @throws IllegalStateException if this name was not opened
         */
        public ReceivedFile file() {
            if (file == null) {
                throw new IllegalStateException(name + ": " + status() + " (no descriptor)");
            }
            return file;
        }

        @Override
        public String toString() {
            return name + " " + (statusCode == 0 || status() != FileStatus.UNKNOWN ? status() : statusCode)
                    + (file != null ? " " + size : "");
        }
    }
}
