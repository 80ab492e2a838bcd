package io.fdpass.client;

import io.fdpass.codec.FdPassReply;
import io.fdpass.codec.FileStatus;
import io.netty.channel.unix.FileDescriptor;

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

    public List<Entry> entries() {
        return entries;
    }

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

        public String name() {
            return name;
        }

        public FileStatus status() {
            return FileStatus.valueOf(statusCode);
        }

        /** The status code as sent, including codes this version does not know. */
        public int statusCode() {
            return statusCode;
        }

        public boolean isOk() {
            return file != null;
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
