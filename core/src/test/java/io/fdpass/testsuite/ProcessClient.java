package io.fdpass.testsuite;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A client in a process of its own, for {@link AbstractFaultTest}: it is killed with SIGKILL while the server has
 * replies in flight to it. Plain JDK sockets, no fdpass: it pipelines {@code --requests N} REQUESTs for
 * {@code --names a,b,...} (from a thread of its own, as the server may stop reading), reads the HELLO and the first
 * REPLY frame exactly, prints {@code REPLYING}, and then {@code --mode stall} never reads again, while
 * {@code --mode slow} goes on reading a little every millisecond with plain reads (which make the kernel discard
 * the descriptors), so that the server keeps writing to it. {@code --mode never} opens {@code --connections N}
 * (default 1), reads each one's HELLO and nothing after it, pipelines the requests on each, and prints
 * {@code HOLDING}. Exits when stdin closes.
 */
public final class ProcessClient {
    private static final int HELLO_LENGTH = 19;
    private static final int MAGIC = 0x46445053;

    private ProcessClient() {
    }

    public static void main(String[] args) throws Exception {
        Path socket = null;
        int requests = 1;
        List<String> names = List.of();
        String mode = "stall";
        int connections = 1;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--socket" -> socket = Path.of(args[i + 1]);
                case "--requests" -> requests = Integer.parseInt(args[i + 1]);
                case "--names" -> names = List.of(args[i + 1].split(","));
                case "--mode" -> mode = args[i + 1];
                case "--connections" -> connections = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        byte[] frames = requests(requests, names);
        if (mode.equals("never")) {
            List<SocketChannel> held = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                SocketChannel channel = connect(socket);
                held.add(channel);
                // From a thread of its own: the server stops reading a connection it holds back.
                Thread.ofPlatform().daemon().start(() -> write(channel, frames, false));
            }
            System.out.println("HOLDING");
            System.out.flush();
            while (System.in.read() >= 0) {
                // Until the test lets go, or kills; nothing is ever read.
            }
            return;
        }
        SocketChannel channel = connect(socket);
        Thread.ofPlatform().daemon().start(() -> write(channel, frames, true));
        ByteBuffer reply = readExactly(channel, 11 + 9 * names.size());
        if (reply.get(4) != 2 || reply.getInt(5) != 0) {
            throw new IOException("not the REPLY to request 0");
        }
        System.out.println("REPLYING");
        System.out.flush();
        if (mode.equals("slow")) {
            Thread.ofPlatform().daemon().start(() -> {
                ByteBuffer some = ByteBuffer.allocate(64);
                try {
                    while (channel.read(some.clear()) >= 0) {
                        Thread.sleep(1);
                    }
                } catch (IOException | InterruptedException e) {
                    e.printStackTrace();
                }
            });
        }
        while (System.in.read() >= 0) {
            // Until the test lets go, or kills.
        }
    }

    /** Connects, and reads the HELLO. */
    private static SocketChannel connect(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        ByteBuffer hello = readExactly(channel, HELLO_LENGTH);
        if (hello.getInt(0) != HELLO_LENGTH - 4 || hello.get(4) != 4 || hello.getInt(5) != MAGIC) {
            throw new IOException("not a HELLO");
        }
        return channel;
    }

    private static void write(SocketChannel channel, byte[] frames, boolean say) {
        try {
            channel.write(ByteBuffer.wrap(frames));
            if (say) {
                System.out.println("SENT");
                System.out.flush();
            }
        } catch (IOException e) {
            if (say) {
                e.printStackTrace();
            }
        }
    }

    private static ByteBuffer readExactly(SocketChannel channel, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException("end of stream");
            }
        }
        return buffer.flip();
    }

    /** {@code count} REQUEST frames for {@code names}, ids 0.. (protocol v1, "REQUEST"). */
    static byte[] requests(int count, List<String> names) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        int body = 1 + 4 + 2;
        for (String name : names) {
            body += 2 + name.getBytes(StandardCharsets.UTF_8).length;
        }
        for (int id = 0; id < count; id++) {
            out.writeInt(body);
            out.writeByte(1);
            out.writeInt(id);
            out.writeShort(names.size());
            for (String name : names) {
                byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
                out.writeShort(utf8.length);
                out.write(utf8);
            }
        }
        return bytes.toByteArray();
    }
}
