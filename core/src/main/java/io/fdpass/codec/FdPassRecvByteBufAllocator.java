package io.fdpass.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

import java.util.Objects;

/**
 * Sizes each read of a client channel so that it ends exactly where the current frame does, and ends the read loop
 * when {@link FdPassResponseDecoder} switches between bytes and descriptors: a read must never take bytes of a
 * descriptor message (the kernel would drop its descriptor), and the channel picks its read mode only at the start
 * of a read event. Level-triggered epoll then starts the next event in the new mode.
 *
 * <p>One instance per channel, bound to that channel's decoder, which makes it:
 * {@link FdPassResponseDecoder#newRecvByteBufAllocator()}.
 */
final class FdPassRecvByteBufAllocator implements RecvByteBufAllocator {
    private final FdPassResponseDecoder decoder;
    private final int maxMessagesPerRead;

    /** @param maxMessagesPerRead reads (frames or descriptors) per read event, so that one busy channel is fair */
    FdPassRecvByteBufAllocator(FdPassResponseDecoder decoder, int maxMessagesPerRead) {
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.maxMessagesPerRead = Checks.checkInRange(maxMessagesPerRead, 1, Integer.MAX_VALUE,
                "maxMessagesPerRead");
    }

    @Override
    public Handle newHandle() {
        return new ExactHandle();
    }

    private final class ExactHandle implements ExtendedHandle {
        private final UncheckedBooleanSupplier readWholeBuffer = this::filledLastBuffer;
        private ChannelConfig config;
        private boolean readingDescriptors;
        private int messages;
        private int lastBytesRead;
        private int attemptedBytesRead;

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            return alloc.ioBuffer(guess());
        }

        @Override
        public int guess() {
            // Past end of stream a channel drains in bytes mode whatever was asked: 1 byte then is harmless.
            return Math.max(1, decoder.bytesWanted());
        }

        @Override
        public void reset(ChannelConfig config) {
            this.config = config;
            readingDescriptors = decoder.isReadingDescriptors();
            messages = 0;
            lastBytesRead = 0;
            attemptedBytesRead = 0;
        }

        @Override
        public void incMessagesRead(int numMessages) {
            messages += numMessages;
        }

        @Override
        public void lastBytesRead(int bytes) {
            lastBytesRead = bytes;
        }

        @Override
        public int lastBytesRead() {
            return lastBytesRead;
        }

        @Override
        public void attemptedBytesRead(int bytes) {
            attemptedBytesRead = bytes;
        }

        @Override
        public int attemptedBytesRead() {
            return attemptedBytesRead;
        }

        @Override
        public boolean continueReading() {
            return continueReading(readWholeBuffer);
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            if (!config.isAutoRead() || messages >= maxMessagesPerRead || lastBytesRead <= 0
                    || decoder.isReadingDescriptors() != readingDescriptors) {
                return false;
            }
            // In descriptor mode lastBytesRead holds the descriptor, not a byte count.
            return readingDescriptors || maybeMoreDataSupplier.get();
        }

        private boolean filledLastBuffer() {
            return lastBytesRead == attemptedBytesRead;
        }

        @Override
        public void readComplete() {
        }
    }
}
