package io.fdpass.fuzz;

import io.fdpass.codec.ErrorCode;

import java.util.ArrayList;
import java.util.List;

/**
 * A reference for the server's side of protocol v1, written from PROTOCOL-v1 "How a server judges a frame" alone:
 * what a server makes of a client's whole byte stream. The fuzz test holds {@code FdPassRequestDecoder} to it, and
 * the behaviour suite's random frames test a real server.
 */
public final class RequestFrameJudge {
    /** {@link Judgement#errorAt()} of a fault that only end of stream reveals (a frame cut short). */
    public static final long END_OF_STREAM = Long.MAX_VALUE;

    private RequestFrameJudge() {
    }

    /** What a v1 server makes of a whole stream: its complete requests, then at most one fault. */
    public record Judgement(List<int[]> frames, ErrorCode error, long errorAt, int errorFrameStart) {
        public String describe() {
            return frames.size() + " request(s), then " + (error == null ? "nothing" : error + " at "
                    + (errorAt == END_OF_STREAM ? "end of stream" : "byte " + errorAt) + " (frame at byte "
                    + errorFrameStart + ")");
        }
    }

    /**
     * The reference judge: PROTOCOL-v1 "How a server judges a frame", step by step, on the whole stream. Each fault
     * also says after how many bytes of the stream the server has what it needs to judge it.
     */
    public static Judgement judge(byte[] s, int maxNames, int maxFrameLength) {
        List<int[]> frames = new ArrayList<>();
        int pos = 0;
        while (pos < s.length) {
            int avail = s.length - pos;
            if (avail < 4) {
                return new Judgement(frames, ErrorCode.MALFORMED_FRAME, END_OF_STREAM, pos);
            }
            long length = u32(s, pos);
            // 1. length, from its 4 bytes alone
            if (length == 0) {
                return new Judgement(frames, ErrorCode.MALFORMED_FRAME, pos + 4, pos);
            }
            if (length > maxFrameLength) {
                return new Judgement(frames, ErrorCode.FRAME_TOO_LARGE, pos + 4, pos);
            }
            // 2. type
            if (avail < 5) {
                return new Judgement(frames, ErrorCode.MALFORMED_FRAME, END_OF_STREAM, pos);
            }
            if (s[pos + 4] != 0x01) {
                return new Judgement(frames, ErrorCode.UNSUPPORTED_TYPE, pos + 5, pos);
            }
            // 4. end of stream inside the frame
            long end = pos + 4 + length;
            if (end > s.length) {
                return new Judgement(frames, ErrorCode.MALFORMED_FRAME, END_OF_STREAM, pos);
            }
            // 3. the whole body
            ErrorCode bodyError = judgeBody(s, pos + 5, (int) end, maxNames);
            if (bodyError != null) {
                return new Judgement(frames, bodyError, end, pos);
            }
            frames.add(new int[] {pos, (int) end});
            pos = (int) end;
        }
        return new Judgement(frames, null, -1, -1);
    }

    private static ErrorCode judgeBody(byte[] s, int body, int end, int maxNames) {
        if (end - body < 6) {
            return ErrorCode.MALFORMED_FRAME; // id or count missing
        }
        int count = u16(s, body + 4);
        if (count == 0) {
            return ErrorCode.MALFORMED_FRAME;
        }
        int at = body + 6;
        for (int i = 0; i < count; i++) {
            if (end - at < 2) {
                return ErrorCode.MALFORMED_FRAME;
            }
            at += 2 + u16(s, at);
            if (at > end) {
                return ErrorCode.MALFORMED_FRAME;
            }
        }
        if (at != end) {
            return ErrorCode.MALFORMED_FRAME;
        }
        return count > maxNames ? ErrorCode.TOO_MANY_NAMES : null;
    }

    public static long u32(byte[] s, int at) {
        return ((s[at] & 0xffL) << 24) | ((s[at + 1] & 0xffL) << 16) | ((s[at + 2] & 0xffL) << 8) | (s[at + 3] & 0xffL);
    }

    public static int u16(byte[] s, int at) {
        return ((s[at] & 0xff) << 8) | (s[at + 1] & 0xff);
    }
}
