package io.fdpass.testsuite;

import io.fdpass.client.FdPassClient;
import io.fdpass.client.ReceivedReply;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A client in a process of its own, for {@link AbstractFaultTest}: one that reads everything, run as another user
 * than the test's. With fdpass's own client it connects {@code --fetches F} times, one connection after another
 * (default once); on each it asks {@code --requests N} times for {@code --names a,b,...}, one request at a time, then
 * once for {@code --then c,d,...} if given, and reads every file it receives, which must hold what the fault test
 * wrote ({@code the content of NAME} and a newline). Prints {@code SERVED requests=N descriptors=M} (all fetches
 * together) if every name was served and read right, else {@code FAILED} and why; exits 0 either way, once done.
 */
public final class ProcessReader {
    private ProcessReader() {
    }

    public static void main(String[] args) {
        Path socket = null;
        int fetches = 1;
        int requests = 1;
        List<String> names = List.of();
        List<String> then = List.of();
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--socket" -> socket = Path.of(args[i + 1]);
                case "--fetches" -> fetches = Integer.parseInt(args[i + 1]);
                case "--requests" -> requests = Integer.parseInt(args[i + 1]);
                case "--names" -> names = List.of(args[i + 1].split(","));
                case "--then" -> then = List.of(args[i + 1].split(","));
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        List<List<String>> asked = new ArrayList<>(Collections.nCopies(requests, names));
        if (!then.isEmpty()) {
            asked.add(then);
        }
        long descriptors = 0;
        for (int f = 0; f < fetches; f++) {
            long[] read = {0};
            String failure = read(socket, asked, read);
            descriptors += read[0];
            if (failure != null) {
                System.out.println("FAILED fetch " + f + " of " + fetches + " after " + descriptors + " descriptors: "
                        + failure);
                System.out.flush();
                return;
            }
        }
        System.out.println("SERVED requests=" + fetches * asked.size() + " descriptors=" + descriptors);
        System.out.flush();
    }

    /** One connection asking for each of {@code asked}; null if all was served and read right, else why not. */
    private static String read(Path socket, List<List<String>> asked, long[] descriptors) {
        try (FdPassClient client = FdPassClient.builder().socket(socket).requestTimeout(Duration.ofSeconds(20))
                .connect()) {
            for (int r = 0; r < asked.size(); r++) {
                try (ReceivedReply reply = client.request(asked.get(r)).join()) {
                    for (ReceivedReply.Entry entry : reply.entries()) {
                        if (!entry.isOk()) {
                            return "request " + r + ": " + entry.name() + " " + entry.status();
                        }
                        String content = new String(entry.file().inputStream().readAllBytes(), StandardCharsets.UTF_8);
                        if (!content.equals("the content of " + entry.name() + "\n")) {
                            return "request " + r + ": " + entry.name() + " holds " + content;
                        }
                        descriptors[0]++;
                    }
                }
            }
        } catch (Exception e) {
            return e.toString();
        }
        return null;
    }
}
