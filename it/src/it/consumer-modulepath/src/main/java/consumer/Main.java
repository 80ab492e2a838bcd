package consumer;

import io.fdpass.client.FdPassClient;
import io.fdpass.server.FdPassServer;
import io.fdpass.spi.FdPassTransport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A consumer of the published fdpass artifacts: serves three files from a temporary root, asks for them over the
 * socket, reads each through the descriptor it received and checks the bytes. Exits 0 and prints one line starting
 * with "consumer OK" when every byte matches, exits 1 saying what differed otherwise.
 *
 * <p>Only the API a user starts with: {@code FdPassServer.builder().socket(..).root(..).start()}, {@code close()},
 * {@code FdPassClient.connect(..)}, {@code request(..).join()}, the reply's {@code entries()} and {@code close()},
 * an entry's {@code isOk()} and {@code file().inputStream()}. The reply's type is left to {@code var}. With
 * {@code -Dconsumer.transport=NAME}, both take that transport ({@code transport(FdPassTransport.named(NAME))});
 * without, the default one.
 *
 * <p>The same file is in consumer-classpath and consumer-modulepath; args[0] says which run this is.
 */
public final class Main {
    public static void main(String[] args) throws Exception {
        String transport = System.getProperty("consumer.transport");
        String how = (args.length > 0 ? String.join(" ", args) : "?") + ", "
                + (transport != null ? transport : "default transport " + FdPassTransport.preferred().name());
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("courses.txt", "Course1\nCourse2\n".getBytes(StandardCharsets.UTF_8));
        files.put("campusinfo.txt", "Campus1\nCampus2".getBytes(StandardCharsets.UTF_8));
        files.put("contacts.txt", "Contacts\n".getBytes(StandardCharsets.UTF_8));

        Path dir = Files.createTempDirectory("fdpass-consumer");
        int failures = 0;
        long bytes = 0;
        try {
            Path root = Files.createDirectory(dir.resolve("root"));
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                Files.write(root.resolve(file.getKey()), file.getValue());
            }
            Path socket = dir.resolve("fdpass.sock");
            String[] names = files.keySet().toArray(String[]::new);

            var serverBuilder = FdPassServer.builder().socket(socket).root(root);
            var clientBuilder = FdPassClient.builder().socket(socket);
            if (transport != null) {
                serverBuilder.transport(FdPassTransport.named(transport));
                clientBuilder.transport(FdPassTransport.named(transport));
            }
            var server = serverBuilder.start();
            try {
                var client = transport == null ? FdPassClient.connect(socket) : clientBuilder.connect();
                try {
                    var reply = client.request(names).join();
                    try {
                        int i = 0;
                        for (var entry : reply.entries()) {
                            String name = i < names.length ? names[i] : "entry " + i;
                            i++;
                            if (!entry.isOk()) {
                                System.out.println("consumer FAILED: " + name + ": not OK");
                                failures++;
                                continue;
                            }
                            byte[] read;
                            try (InputStream in = entry.file().inputStream()) {
                                read = in.readAllBytes();
                            }
                            if (!Arrays.equals(read, files.get(name))) {
                                System.out.println("consumer FAILED: " + name + ": read "
                                        + new String(read, StandardCharsets.UTF_8).replace("\n", "\\n") + ", wrote "
                                        + new String(files.get(name), StandardCharsets.UTF_8).replace("\n", "\\n"));
                                failures++;
                                continue;
                            }
                            bytes += read.length;
                        }
                        if (i != names.length) {
                            System.out.println("consumer FAILED: " + i + " entries for " + names.length + " names");
                            failures++;
                        }
                    } finally {
                        reply.close();
                    }
                } finally {
                    client.close();
                }
            } finally {
                server.close();
            }
        } finally {
            deleteTree(dir);
        }
        if (failures != 0) {
            System.out.println("consumer FAILED " + how + ": " + failures + " of " + files.size() + " files");
            System.exit(1);
        }
        System.out.println("consumer OK " + how + ": read " + files.size() + " files, " + bytes
                + " bytes, each as written (Java " + Runtime.version() + ", "
                + (Main.class.getModule().isNamed() ? "module " + Main.class.getModule().getName() : "unnamed module")
                + ")");
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
