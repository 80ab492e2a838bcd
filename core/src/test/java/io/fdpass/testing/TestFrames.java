package io.fdpass.testing;

import io.fdpass.codec.FdPassRequest;
import io.fdpass.codec.FdPassRequestEncoder;
import io.fdpass.codec.FdPassResponseEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;

/** Frames as bytes, for raw peers that write what a well-behaved one would not, or write it by hand. */
public final class TestFrames {
    private TestFrames() {
    }

    /** {@code count} REQUEST frames for {@code names}, ids 0 to count - 1, back to back. */
    public static byte[] requests(int count, String... names) {
        List<Object> requests = new ArrayList<>();
        for (int id = 0; id < count; id++) {
            requests.add(FdPassRequest.of(id, names));
        }
        return encode(FdPassRequestEncoder.INSTANCE, requests);
    }

    /** These REQUEST frames, back to back. */
    public static byte[] requests(FdPassRequest... requests) {
        return encode(FdPassRequestEncoder.INSTANCE, List.of((Object[]) requests));
    }

    /** The server's frames (HELLO, REPLY, ERROR) as the server encodes them, back to back. */
    public static byte[] responses(Object... frames) {
        return encode(FdPassResponseEncoder.INSTANCE, List.of(frames));
    }

    private static byte[] encode(ChannelHandler encoder, List<Object> frames) {
        EmbeddedChannel channel = new EmbeddedChannel(encoder);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object frame : frames) {
            channel.writeOutbound(frame);
            ByteBuf bytes = channel.readOutbound();
            out.writeBytes(ByteBufUtil.getBytes(bytes));
            bytes.release();
        }
        assertFalse(channel.finishAndReleaseAll());
        return out.toByteArray();
    }
}
