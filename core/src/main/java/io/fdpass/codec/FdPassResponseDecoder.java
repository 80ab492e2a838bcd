package io.fdpass.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;

/**
 * Decodes the server's frames and takes the descriptors that follow each REPLY: the client's half of the
 * server-to-client direction.
 *
 * <p>A REPLY's descriptors travel as messages of their own after it, and a plain read that runs into one makes the
 * kernel discard its descriptor. So this decoder tells the channel's receive buffer allocator
 * ({@link #newRecvByteBufAllocator()}) how much to read next ({@link #bytesWanted()}) so that no read crosses a
 * frame's end, and takes the descriptor messages after a REPLY through its {@link FdPassSocketReader} where they are
 * there already. Those not there yet it takes one of two ways, as the reader says. On a readiness transport (epoll,
 * kqueue) it switches the channel from {@link DomainSocketReadMode#BYTES} to
 * {@link DomainSocketReadMode#FILE_DESCRIPTORS} for them, and after the last reads the frames behind it through the
 * reader before it switches back. On a transport that keeps a receive in flight (io_uring) it waits for them with the
 * reader ({@link FdPassSocketReader#awaitsReadable()}) and holds the channel's reads meanwhile
 * ({@link #holdsRead()}), so that they are always taken by its own receive. Use it with the allocator, and on such a
 * transport inside {@link FdPassClientCodec}, which holds the reads. Told of the requests sent
 * ({@link #replyExpected(int)}), it knows the length of the REPLY due next, and a REPLY is then read in one read
 * rather than two (header, body).
 *
 * <p>It passes on {@link FdPassHello}, {@link FdPassReply} and {@link FdPassError}, and after each REPLY one
 * {@link FileDescriptor} per OK entry, already marked close-on-exec. The first frame must be a v1 HELLO. Anything
 * else that breaks protocol v1 raises an {@link FdPassDecoderException}, after which it discards all input and
 * closes any descriptor that still arrives.
 */
public final class FdPassResponseDecoder extends ByteToMessageDecoder {
    /** Room for HELLO, an ERROR with its longest message, and a REPLY for up to 64 names. */
    public static final int DEFAULT_MAX_FRAME_LENGTH = 8192;
    /** Reads (frames or descriptors) per read event of the allocator it makes, so that one busy channel is fair. */
    public static final int MAX_MESSAGES_PER_READ = 16;

    private enum State {
        READ_HEADER, READ_BODY, READ_DESCRIPTORS, FAILED
    }

    private final int maxFrameLength;
    private final FdPassSocketReader reader;
    private State state = State.READ_HEADER;
    private boolean helloSeen;
    private byte type;
    private int bodyLength;
    private int descriptorsLeft;
    /** The context of the REPLY whose descriptor messages the reader waits for, while it does. */
    private ChannelHandlerContext waitingCtx;
    /** Whether the reader waits for descriptor messages now. */
    private boolean waiting;
    /** Whether the channel was asked to read while the reader waited: asked again once the descriptors have come. */
    private boolean readHeld;
    private final Runnable onDescriptorsReadable = this::descriptorsReadable;
    /** Names of each request sent and not answered yet, oldest first: the REPLYs due, in order. */
    private final ArrayDeque<Integer> expectedCounts = new ArrayDeque<>();

    /**
     * A decoder that accepts frames up to protocol v1's widest limit, 65536 bytes.
     *
     * @param reader what it does with its socket and descriptors beyond Netty's API: the channel's transport's
     *        ({@code FdPassTransport.of(channel).socket(channel).reader()})
     */
    public FdPassResponseDecoder(FdPassSocketReader reader) {
        this(DEFAULT_MAX_FRAME_LENGTH, reader);
    }

    /**
     * A decoder that accepts frames up to {@code maxFrameLength}.
     *
     * @param maxFrameLength the largest frame {@code length} accepted, 1029..65536 (room for the longest ERROR)
     * @param reader what it does with its socket and descriptors beyond Netty's API: the channel's transport's
     *        ({@code FdPassTransport.of(channel).socket(channel).reader()})
     */
    public FdPassResponseDecoder(int maxFrameLength, FdPassSocketReader reader) {
        this.maxFrameLength = Checks.checkInRange(maxFrameLength, FdPassProtocol.MIN_CLIENT_FRAME_LENGTH,
                FdPassProtocol.MAX_FRAME_LENGTH_LIMIT, "maxFrameLength");
        this.reader = Objects.requireNonNull(reader, "reader");
    }

    /**
     * The receive buffer allocator that a channel reading with this decoder must have, bound to this decoder:
     * {@link FdPassClientCodec} sets it.
     */
    public RecvByteBufAllocator newRecvByteBufAllocator() {
        return new FdPassRecvByteBufAllocator(this, MAX_MESSAGES_PER_READ);
    }

    /**
     * Says that a request of {@code count} names has been written: its REPLY is due after those of the requests
     * written before. Call it on the channel's event loop once the write has succeeded (a request that never left
     * must not be waited for), as {@link FdPassClientCodec} does.
     */
    public void replyExpected(int count) {
        expectedCounts.add(Checks.checkInRange(count, 1, FdPassProtocol.MAX_U16, "count"));
    }

    /** How many bytes the next read may take without running past the current frame (0 while taking descriptors). */
    public int bytesWanted() {
        int buffered = internalBuffer().readableBytes();
        return switch (state) {
            // The frame due is the oldest request's REPLY, or an ERROR, after which a server sends nothing more.
            case READ_HEADER -> (helloSeen && !expectedCounts.isEmpty()
                    ? FdPassProtocol.replyFrameLength(expectedCounts.peek()) : FdPassProtocol.HEADER_LENGTH) - buffered;
            case READ_BODY -> bodyLength - buffered;
            case READ_DESCRIPTORS, FAILED -> 0;
        };
    }

    /** Whether the next messages to read are descriptor messages. */
    public boolean isReadingDescriptors() {
        return state == State.READ_DESCRIPTORS;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!(msg instanceof FileDescriptor descriptor)) {
            super.channelRead(ctx, msg);
            return;
        }
        if (state != State.READ_DESCRIPTORS) {
            reader.close(descriptor);
            if (state != State.FAILED) {
                fail(ctx, "a descriptor that no REPLY announced");
            }
            return;
        }
        int err = reader.setCloseOnExec(descriptor);
        if (err < 0) {
            reader.close(descriptor);
            fail(ctx, "cannot mark a received descriptor close-on-exec: errno " + -err);
            return;
        }
        if (--descriptorsLeft > 0) {
            ctx.fireChannelRead(descriptor);
            return;
        }
        state = State.READ_HEADER;
        ctx.fireChannelRead(descriptor);
        try {
            readOnInBytes(ctx);
        } finally {
            if (state != State.READ_DESCRIPTORS) {
                setReadMode(ctx, DomainSocketReadMode.BYTES);
            }
        }
    }

    /**
     * After the last descriptor of a REPLY that the channel took in descriptors mode, reads the frames behind it
     * through the reader, until the socket has no more or a REPLY's descriptor messages are not there yet. Left to the channel,
     * they could be read in descriptors mode, which eats bytes: at the peer's end of stream Netty's read loops (epoll
     * and kqueue alike) drain the socket in the mode their read event began with, whatever the allocator says. How
     * much it reads is bounded by the replies due to this client.
     */
    private void readOnInBytes(ChannelHandlerContext ctx) throws Exception {
        while (state == State.READ_HEADER || state == State.READ_BODY) {
            // Asked each time: what this read passes on may close the channel, and its descriptor be reused.
            int socketFd = ownedSocket(ctx, reader.readsBytes());
            if (socketFd < 0) {
                return;
            }
            int wanted = bytesWanted();
            ByteBuf bytes = ctx.alloc().directBuffer(wanted);
            boolean passedOn = false;
            try {
                long n = reader.read(socketFd, bytes.nioBuffer(0, wanted));
                if (n <= 0) {
                    return; // nothing there yet, or the end of stream or an error: the channel's read finds out which
                }
                bytes.writerIndex((int) n);
                passedOn = true;
                super.channelRead(ctx, bytes);
            } finally {
                if (!passedOn) {
                    bytes.release();
                }
            }
        }
    }

    /**
     * The socket to read from directly, or -1: where the platform allows it, only on the channel's event loop (the
     * socket's one reader), while the channel is open and auto-reads (else it reads what it is asked to).
     */
    private static int ownedSocket(ChannelHandlerContext ctx, boolean platformAllows) {
        return platformAllows && ctx.channel() instanceof UnixChannel unix
                && unix.isOpen() && unix.config().isAutoRead() ? unix.fd().intValue() : -1;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case READ_HEADER:
                if (in.readableBytes() < FdPassProtocol.HEADER_LENGTH) {
                    return;
                }
                readHeader(in);
                state = State.READ_BODY;
                // fall through
            case READ_BODY:
                if (in.readableBytes() < bodyLength) {
                    return;
                }
                int end = in.readerIndex() + bodyLength;
                state = State.READ_HEADER;
                out.add(decodeBody(in));
                in.readerIndex(end);
                if (state == State.READ_DESCRIPTORS) {
                    receiveDescriptors(ctx, in, out);
                }
                return;
            case READ_DESCRIPTORS:
                throw violation(in, "bytes where a descriptor message was due");
            case FAILED:
                in.skipBytes(in.readableBytes());
                return;
            default:
                throw new IllegalStateException(state.name());
        }
    }

    private void readHeader(ByteBuf in) {
        long length = in.readUnsignedInt();
        type = in.readByte();
        if (!helloSeen && type != FdPassProtocol.TYPE_HELLO) {
            throw violation(in, "first frame: " + FdPassProtocol.typeName(type)
                    + " (expected: HELLO); the peer is not an fdpass v1 server");
        }
        if (length == 0 || length > maxFrameLength) {
            throw violation(in, "length: " + length + " (expected: 1.." + maxFrameLength + ")");
        }
        bodyLength = (int) length - 1;
        int min = switch (type) {
            case FdPassProtocol.TYPE_HELLO -> FdPassProtocol.HELLO_BODY_LENGTH;
            case FdPassProtocol.TYPE_REPLY -> FdPassProtocol.REPLY_FIXED_LENGTH + FdPassProtocol.REPLY_ENTRY_LENGTH;
            case FdPassProtocol.TYPE_ERROR -> FdPassProtocol.ERROR_FIXED_LENGTH;
            default -> throw violation(in, "type: " + FdPassProtocol.typeName(type) + " (expected: REPLY or ERROR)");
        };
        if (bodyLength < min) {
            throw violation(in, FdPassProtocol.typeName(type) + " body: " + bodyLength + " bytes (expected: >= " + min
                    + ")");
        }
    }

    private FdPassMessage decodeBody(ByteBuf in) {
        return switch (type) {
            case FdPassProtocol.TYPE_HELLO -> decodeHello(in);
            case FdPassProtocol.TYPE_REPLY -> decodeReply(in);
            default -> decodeError(in);
        };
    }

    private FdPassHello decodeHello(ByteBuf in) {
        if (helloSeen) {
            throw violation(in, "a second HELLO");
        }
        int magic = in.readInt();
        if (magic != FdPassProtocol.MAGIC) {
            throw violation(in, "magic: 0x" + Integer.toHexString(magic)
                    + " (expected: 0x46445053 \"FDPS\"); the peer is not an fdpass server");
        }
        int version = in.readUnsignedShort();
        if (version != FdPassProtocol.VERSION) {
            throw violation(in, "version: " + version + " (expected: 1)");
        }
        int maxNames = in.readUnsignedShort();
        long maxFrameLength = in.readUnsignedInt();
        int maxUnanswered = in.readUnsignedShort();
        try {
            FdPassHello hello = new FdPassHello(maxNames, (int) Math.min(maxFrameLength, Integer.MAX_VALUE),
                    maxUnanswered);
            helloSeen = true;
            return hello;
        } catch (IllegalArgumentException e) {
            throw violation(in, "HELLO " + e.getMessage());
        }
    }

    private FdPassReply decodeReply(ByteBuf in) {
        expectedCounts.poll();
        int id = in.readInt();
        int count = in.readUnsignedShort();
        int entries = (bodyLength - FdPassProtocol.REPLY_FIXED_LENGTH) / FdPassProtocol.REPLY_ENTRY_LENGTH;
        if (count != entries || bodyLength != FdPassProtocol.REPLY_FIXED_LENGTH
                + FdPassProtocol.REPLY_ENTRY_LENGTH * count) {
            throw violation(in, "REPLY count: " + count + " (expected: " + entries + " for a body of " + bodyLength
                    + " bytes)");
        }
        byte[] statuses = new byte[count];
        long[] sizes = new long[count];
        for (int i = 0; i < count; i++) {
            statuses[i] = in.readByte();
            sizes[i] = in.readLong();
        }
        FdPassReply reply;
        try {
            reply = FdPassReply.wrap(id, statuses, sizes);
        } catch (IllegalArgumentException e) {
            throw violation(in, "REPLY " + e.getMessage());
        }
        if (reply.descriptorCount() > 0) {
            state = State.READ_DESCRIPTORS;
            descriptorsLeft = reply.descriptorCount();
        }
        return reply;
    }

    /**
     * Takes the REPLY's descriptor messages that are in the socket already, through the reader, and leaves the rest
     * to the channel in {@link DomainSocketReadMode#FILE_DESCRIPTORS} mode. Taking them here keeps the read loop going in
     * bytes mode: no switch of modes, which ends the loop and costs a trip through the event loop each way, and two
     * system calls per descriptor fewer than the channel makes.
     */
    private void receiveDescriptors(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int socketFd = ownedSocket(ctx, reader.receivesDescriptors());
        while (socketFd >= 0 && descriptorsLeft > 0) {
            int fd = reader.receiveDescriptor(socketFd);
            if (fd == FdPassSocketReader.NOT_ONE_DESCRIPTOR) {
                throw violation(in, "a descriptor message that did not carry exactly one descriptor");
            }
            if (fd < 0) {
                break; // not there yet, or the connection ends: the channel's own read finds out which
            }
            out.add(new FileDescriptor(fd));
            descriptorsLeft--;
        }
        if (descriptorsLeft == 0) {
            state = State.READ_HEADER;
        } else if (reader.awaitsReadable()) {
            waitingCtx = ctx;
            if (ctx.channel().config().isAutoRead()) {
                awaitDescriptors();
            } // else the next read asked for starts the wait (holdsRead)
        } else {
            setReadMode(ctx, DomainSocketReadMode.FILE_DESCRIPTORS);
        }
    }

    /**
     * Whether a read that the channel is asked for must wait: while descriptor messages are due that the reader takes
     * itself ({@link FdPassSocketReader#awaitsReadable()}), a read of the channel's own could take one of them as
     * bytes, and the kernel would drop its descriptor. It then holds the read, waits for them (if it did not yet), and
     * asks for the read once the REPLY's last descriptor has come. {@link FdPassClientCodec#read} asks it; on the
     * channel's event loop.
     */
    public boolean holdsRead() {
        if (state != State.READ_DESCRIPTORS || !reader.awaitsReadable()) {
            return false;
        }
        readHeld = true;
        if (!waiting) {
            awaitDescriptors();
        }
        return true;
    }

    private void awaitDescriptors() {
        if (!waitingCtx.channel().isOpen()) {
            return; // nothing more to wait for: the channel's inactivity tells the rest
        }
        waiting = true;
        try {
            reader.awaitReadable(onDescriptorsReadable);
        } catch (RuntimeException e) {
            waiting = false;
            fail(waitingCtx, "cannot wait for descriptor messages: " + e.getMessage());
            releaseRead(waitingCtx);
        }
    }

    /**
     * The socket became readable while the REPLY's descriptor messages were due: takes those there, and waits again,
     * or lets the channel read again once the last has come (or the connection ended, which its read then finds).
     */
    private void descriptorsReadable() {
        waiting = false;
        ChannelHandlerContext ctx = waitingCtx;
        boolean passedOn = false;
        while (state == State.READ_DESCRIPTORS) {
            // Asked each time: what a descriptor passed on may close the channel, and its descriptor be reused.
            if (!(ctx.channel() instanceof UnixChannel unix) || !unix.isOpen()) {
                break;
            }
            int fd = reader.receiveDescriptor(unix.fd().intValue());
            if (fd == FdPassSocketReader.NOT_ONE_DESCRIPTOR) {
                fail(ctx, "a descriptor message that did not carry exactly one descriptor");
                break;
            }
            if (fd == FdPassSocketReader.NOTHING) {
                awaitDescriptors();
                if (waiting) {
                    if (passedOn) {
                        ctx.fireChannelReadComplete();
                    }
                    return;
                }
                break;
            }
            if (fd < 0) {
                break; // the end of the stream or an error: the channel's own read finds which
            }
            if (--descriptorsLeft == 0) {
                state = State.READ_HEADER;
                waitingCtx = null;
            }
            passedOn = true;
            ctx.fireChannelRead(new FileDescriptor(fd));
        }
        if (passedOn) {
            ctx.fireChannelReadComplete();
        }
        releaseRead(ctx);
    }

    /** Asks for the read held while descriptor messages were due, or the one an auto-reading channel goes on with. */
    private void releaseRead(ChannelHandlerContext ctx) {
        if (readHeld || ctx.channel().config().isAutoRead()) {
            readHeld = false;
            ctx.read();
        }
    }

    private FdPassError decodeError(ByteBuf in) {
        int code = in.readUnsignedShort();
        int messageLength = in.readUnsignedShort();
        if (messageLength > FdPassProtocol.MAX_MESSAGE_LENGTH
                || messageLength != bodyLength - FdPassProtocol.ERROR_FIXED_LENGTH) {
            throw violation(in, "ERROR msgLength: " + messageLength + " (expected: "
                    + (bodyLength - FdPassProtocol.ERROR_FIXED_LENGTH) + ", <= 1024)");
        }
        String message = readMessage(in, messageLength);
        // The server stops reading after an ERROR and nothing may follow it: the connection is over.
        state = State.FAILED;
        return new FdPassError(code, message);
    }

    /**
     * The message as text, each malformed UTF-8 sequence replaced by one {@code '?'}: so its UTF-8 never outgrows the
     * wire's bytes and {@link FdPassError}'s limit (U+FFFD, the usual replacement, takes 3 bytes for as few as 1).
     */
    private static String readMessage(ByteBuf in, int length) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE)
                .replaceWith("?");
        try {
            return utf8.decode(in.nioBuffer(in.readerIndex(), length)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException(e); // not with REPLACE
        } finally {
            in.skipBytes(length);
        }
    }

    private static void setReadMode(ChannelHandlerContext ctx, DomainSocketReadMode mode) {
        ctx.channel().config().setOption(UnixChannelOption.DOMAIN_SOCKET_READ_MODE, mode);
    }

    private FdPassDecoderException violation(ByteBuf in, String message) {
        state = State.FAILED;
        in.skipBytes(in.readableBytes());
        return new FdPassDecoderException(ErrorCode.MALFORMED_FRAME, message);
    }

    private void fail(ChannelHandlerContext ctx, String message) {
        state = State.FAILED;
        ctx.fireExceptionCaught(new FdPassDecoderException(ErrorCode.MALFORMED_FRAME, message));
    }
}
