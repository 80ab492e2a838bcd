package io.fdpass.testsuite;

import io.fdpass.codec.FdPassRequest;
import io.fdpass.codec.FdPassRequestEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;

import java.io.ByteArrayOutputStream;

import static org.junit.jupiter.api.Assertions.assertFalse;

/** Request frames as bytes, for raw clients that write more than a well-behaved client would. */
final class TestFrames {
    private TestFrames() {
    }

    /** {@code count} REQUEST frames for {@code names}, ids 0 to count - 1, back to back. */
    static byte[] requests(int count, String... names) {
        EmbeddedChannel encoder = new EmbeddedChannel(FdPassRequestEncoder.INSTANCE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id = 0; id < count; id++) {
            encoder.writeOutbound(FdPassRequest.of(id, names));
            ByteBuf frame = encoder.readOutbound();
            out.writeBytes(ByteBufUtil.getBytes(frame));
            frame.release();
        }
        assertFalse(encoder.finishAndReleaseAll());
        return out.toByteArray();
    }
}
