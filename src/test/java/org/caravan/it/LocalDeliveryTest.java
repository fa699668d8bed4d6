package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.caravan.testing.MailClient;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mail for a local domain lands in the mailbox's Maildir, through the real routes and broker. */
class LocalDeliveryTest {
    @TempDir
    Path dir;
    TestRouter router;

    @BeforeEach
    void start() {
        router = TestRouter.start(dir, Map.of());
    }

    @AfterEach
    void stop() {
        router.close();
    }

    private static List<Path> files(Path folder) throws Exception {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(folder)) {
            return list.toList();
        }
    }

    @Test
    void localRecipientsGetMaildirFilesWithTraceHeadersAndExactContent() throws Exception {
        byte[] content = "Subject: hello Alice\r\nFrom: someone@far.test\r\n\r\nHi there.\r\n.dot line\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        new MailClient("127.0.0.1", router.smtpPort())
                .send("someone@far.test", List.of("alice@example.test", "Bob@Example.Test"), content);

        Path aliceNew = router.maildir("alice@example.test").resolve("new");
        Path bobNew = router.maildir("bob@example.test").resolve("new");
        await().atMost(Duration.ofSeconds(20)).until(() -> files(aliceNew).size() == 1 && files(bobNew).size() == 1);

        String delivered = Files.readString(files(aliceNew).get(0), StandardCharsets.US_ASCII);
        assertThat(delivered).startsWith("Return-Path: <someone@far.test>\r\nDelivered-To: alice@example.test\r\n");
        assertThat(delivered).contains("by " + TestRouter.HOSTNAME + " (Caravan) with ESMTP id ");
        assertThat(delivered).endsWith(new String(content, StandardCharsets.US_ASCII));
        assertThat(files(router.maildir("alice@example.test").resolve("tmp"))).isEmpty();
        // Nothing left in the queues once delivered.
        await().atMost(Duration.ofSeconds(10)).until(() -> router.queueDepth("caravan.inbound") == 0);
        assertThat(router.queueDepth("caravan.dead")).isZero();
    }
}
