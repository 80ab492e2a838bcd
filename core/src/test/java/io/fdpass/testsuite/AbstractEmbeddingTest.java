package io.fdpass.testsuite;

import io.fdpass.FileSource;
import io.fdpass.OpenResult;
import io.fdpass.Peer;
import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;
import io.fdpass.server.FdPassServer;
import io.fdpass.server.FdPassServerInitializer;
import io.fdpass.server.FileSources;
import io.fdpass.testing.Fds;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** fdpass inside an application of its own: its handlers on the user's bootstrap and event loops. */
public abstract class AbstractEmbeddingTest extends AbstractFdPassTest {
    private static final List<String> NAMES = List.of("courses.txt", "missing.txt", "../x", "contacts.txt");

    @Test
    void publicHandlersOnAUsersBootstrapServeLikeThePackagedServer() throws Exception {
        List<String> packaged;
        try (FdPassServer server = server().start(); FdPassClient client = connect()) {
            packaged = describe(client);
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, transport().newIoHandlerFactory());
        Path echoSocket = dir.resolve("echo.sock");
        try (FdPassServerInitializer fdpass = FdPassServer.builder().root(root).buildInitializer()) {
            Channel echo = new ServerBootstrap().group(group).channel(transport().serverChannelClass())
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ctx.writeAndFlush(msg);
                        }
                    })
                    .bind(new DomainSocketAddress(echoSocket.toString())).sync().channel();
            Channel files = new ServerBootstrap().group(group).channel(transport().serverChannelClass())
                    .childHandler(fdpass)
                    .bind(new DomainSocketAddress(socket.toString())).sync().channel();
            try (FdPassClient client = client().eventLoopGroup(group).connect()) {
                assertEquals(packaged, describe(client));
                assertEquals("ping", echo(group, echoSocket, "ping"));
            }
            files.close().sync();
            fdpass.shutdownGracefully().get(10, TimeUnit.SECONDS);
            echo.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void connectionsDroppedByTheServerFailTheirRequestsAndLeakNothing() throws Exception {
        int baseline = Fds.count();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, transport().newIoHandlerFactory());
        ChannelGroup accepted = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        try (BlockingSource source = new BlockingSource(FileSources.beneath(root));
             FdPassServerInitializer fdpass = FdPassServer.builder().fileSource(source).buildInitializer()) {
            Channel files = new ServerBootstrap().group(group).channel(transport().serverChannelClass())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            accepted.add(ch);
                            ch.pipeline().addLast(fdpass);
                        }
                    })
                    .bind(new DomainSocketAddress(socket.toString())).sync().channel();
            try (FdPassClient client = connect()) {
                CompletableFuture<ReceivedReply> first = client.request("courses.txt", "contacts.txt");
                CompletableFuture<ReceivedReply> second = client.request("campusinfo.txt");
                source.awaitEntered();
                accepted.close().sync(); // the server drops the connection, no ERROR, no closing rule
                for (CompletableFuture<ReceivedReply> future : List.of(first, second)) {
                    CompletionException e = assertThrows(CompletionException.class, future::join);
                    // Closed, or reset when the server's close found our requests unread in its socket, or broken
                    // when the second request's write came after the close (an io_uring channel writes from its
                    // ring, a turn of the loop after the write was asked for).
                    String message = e.getCause().getMessage();
                    assertTrue(message.equals("connection closed with 2 request(s) unanswered")
                            || message.equals("connection closed with 2 request(s) unanswered (Connection reset by "
                            + "peer)") || message.equals("connection lost while sending a request (Broken pipe)"),
                            message);
                }
                source.release();
            }
            files.close().sync();
            fdpass.shutdownGracefully().get(10, TimeUnit.SECONDS);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        Fds.assertBackTo(baseline);
    }

    /**
     * An application that shuts its event loops down while opens run on the open executor: the opens that finish
     * afterwards cannot hand their descriptors back to a loop, and must close them.
     */
    @Test
    void opensThatFinishAfterTheEventLoopsShutDownLeakNothing() throws Exception {
        int baseline = Fds.count();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, transport().newIoHandlerFactory());
        CountDownLatch opened = new CountDownLatch(2);
        try (BlockingSource blocking = new BlockingSource(FileSources.beneath(root))) {
            FileSource source = new FileSource() {
                @Override
                public OpenResult open(String name, Peer peer) {
                    OpenResult result = blocking.open(name, peer);
                    opened.countDown();
                    return result;
                }
            };
            try (FdPassServerInitializer fdpass = FdPassServer.builder().fileSource(source).buildInitializer()) {
                Channel files = new ServerBootstrap().group(group).channel(transport().serverChannelClass())
                        .childHandler(fdpass).bind(new DomainSocketAddress(socket.toString())).sync().channel();
                try (FdPassClient client = connect()) {
                    CompletableFuture<ReceivedReply> reply = client.request("courses.txt", "contacts.txt");
                    blocking.awaitEntered();
                    // The listening channel is closed first, as an application does: Netty 4.2.18's io_uring event
                    // loop, shut down with its server channel still open, ends before the cancellation of that
                    // channel's accept completes and never closes the listening socket (plain Netty does it too).
                    files.close().sync();
                    // With a quiet period: Netty 4.2.18's loop, told to shut down with none while it runs tasks
                    // (the close just done), ends without closing its channels, this connection's socket with them.
                    group.shutdownGracefully(100, 2_000, TimeUnit.MILLISECONDS).sync(); // closes the connection
                    assertThrows(CompletionException.class, reply::join);
                    blocking.release();
                    assertTrue(opened.await(10, TimeUnit.SECONDS), "the opens did not finish");
                }
            }
        }
        Fds.assertBackTo(baseline);
    }

    private static List<String> describe(FdPassClient client) throws Exception {
        try (ReceivedReply reply = client.request(NAMES).join()) {
            return reply.entries().stream().map(entry -> {
                try {
                    return entry + (entry.isOk() ? " " + AbstractServeTest.readAll(entry.file()) : "");
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }).toList();
        }
    }

    private String echo(EventLoopGroup group, Path echoSocket, String text) throws Exception {
        CompletableFuture<String> answer = new CompletableFuture<>();
        Channel ch = new Bootstrap().group(group).channel(transport().channelClass())
                .handler(new SimpleChannelInboundHandler<ByteBuf>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                        answer.complete(msg.toString(StandardCharsets.UTF_8));
                    }
                })
                .connect(new DomainSocketAddress(echoSocket.toString())).sync().channel();
        try {
            ch.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)).sync();
            return answer.get(10, TimeUnit.SECONDS);
        } finally {
            ch.close().sync();
        }
    }
}
