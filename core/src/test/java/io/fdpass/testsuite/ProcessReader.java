package io.fdpass.testsuite;

import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A client in a process of its own, for {@link AbstractFaultTest}: one that reads everything, run as another user
 * than the test's. With fdpass's own client it asks {@code --requests N} times for {@code --names a,b,...}, one
 * request at a time, and reads every file it receives, which must hold what the fault test wrote ({@code the
 * content of NAME} and a newline). Prints {@code SERVED requests=N descriptors=M} if every name was served and read
 * right, else {@code FAILED} and why; exits 0 either way, once done.
 */
public final class ProcessReader {
    private ProcessReader() {
    }

    public static void main(String[] args) {
        Path socket = null;
        int requests = 1;
        List<String> names = List.of();
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--socket" -> socket = Path.of(args[i + 1]);
                case "--requests" -> requests = Integer.parseInt(args[i + 1]);
                case "--names" -> names = List.of(args[i + 1].split(","));
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        System.out.println(read(socket, requests, names));
        System.out.flush();
    }

    private static String read(Path socket, int requests, List<String> names) {
        long descriptors = 0;
        try (FdPassClient client = FdPassClient.builder().socket(socket).requestTimeout(Duration.ofSeconds(20))
                .connect()) {
            for (int r = 0; r < requests; r++) {
                try (ReceivedReply reply = client.request(names).join()) {
                    for (ReceivedReply.Entry entry : reply.entries()) {
                        if (!entry.isOk()) {
                            return "FAILED request " + r + ": " + entry.name() + " " + entry.status();
                        }
                        String content = new String(entry.file().inputStream().readAllBytes(), StandardCharsets.UTF_8);
                        if (!content.equals("the content of " + entry.name() + "\n")) {
                            return "FAILED request " + r + ": " + entry.name() + " holds " + content;
                        }
                        descriptors++;
                    }
                }
            }
        } catch (Exception e) {
            return "FAILED after " + descriptors + " descriptors: " + e;
        }
        return "SERVED requests=" + requests + " descriptors=" + descriptors;
    }
}
