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

import org.caravan.runtime.EmbeddedBroker;
import org.caravan.testing.MailClient;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * caravan.broker.url switches from the embedded broker to an external Artemis: here a separate
 * broker (the shipped broker.xml plus a TCP acceptor on loopback) that the router reaches over
 * the network, with the same queues.
 */
class ExternalBrokerTest {
    @TempDir
    Path dir;

    @Test
    void routerQueuesAndDeliversThroughAnExternalBroker() throws Exception {
        int brokerPort = TestRouter.freePort();
        EmbeddedBroker external = TestRouter.externalBroker(dir, brokerPort);
        try (TestRouter router = TestRouter.start(dir.resolve("router"),
                Map.of("caravan.broker.url", "tcp://127.0.0.1:" + brokerPort))) {
            assertThat(router.dataDir().resolve("broker")).doesNotExist();

            new MailClient("127.0.0.1", router.smtpPort()).send("someone@far.test", List.of("alice@example.test"),
                    "Subject: via the external broker\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII));

            Path inbox = router.maildir("alice@example.test").resolve("new");
            await().atMost(Duration.ofSeconds(20)).until(() -> count(inbox) == 1);
            assertThat(count(dir.resolve("external-data").resolve("journal"))).isPositive();
        } finally {
            external.stop();
        }
    }

    private static long count(Path folder) throws Exception {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.count();
        }
    }
}
