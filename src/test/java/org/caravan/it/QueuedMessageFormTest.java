package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.activemq.artemis.api.core.Message;
import org.caravan.testing.MailClient;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a queued message is stored: below Artemis's large-message threshold as ordinary journal
 * bytes, at or above it as a streamed large message (never whole in the heap). Seen on the retries
 * scheduled on caravan.deferred because their next hop refuses connections; a scheduled message
 * is invisible to a JMS browser until due, so it is read as the broker's core message.
 */
class QueuedMessageFormTest {
    /** Artemis sets this property on large messages only. */
    private static final String LARGE_SIZE = "_AMQ_LARGE_SIZE";

    @TempDir
    Path dir;

    @Test
    void smallMessagesAreJournalBytesAndLargeOnesAreStreamed() throws Exception {
        int closedPort = TestRouter.freePort();
        try (TestRouter router = TestRouter.start(dir, Map.of("caravan.relay.smarthost", "127.0.0.1:" + closedPort,
                "caravan.retry.min-backoff", "1h"))) {
            MailClient client = new MailClient("127.0.0.1", router.smtpPort());
            client.send("s@client.test", List.of("small@far.test"), message(1_000));
            client.send("s@client.test", List.of("large@far.test"), message(300_000));

            await().atMost(Duration.ofSeconds(20)).until(() -> router.scheduled("caravan.deferred").size() == 2);
            Message small = scheduledFor(router, "small@far.test");
            Message large = scheduledFor(router, "large@far.test");
            assertThat(small.isLargeMessage()).isFalse();
            assertThat(small.getObjectProperty(LARGE_SIZE)).isNull();
            assertThat(large.isLargeMessage()).isTrue();
            assertThat(large.getLongProperty(LARGE_SIZE)).isGreaterThan(300_000);
        }
    }

    private static Message scheduledFor(TestRouter router, String recipient) {
        for (Message m : router.scheduled("caravan.deferred")) {
            if (recipient.equals(m.getStringProperty("CaravanRecipients"))) {
                return m;
            }
        }
        throw new AssertionError("no retry scheduled for " + recipient);
    }

    private static byte[] message(int size) {
        StringBuilder sb = new StringBuilder("Subject: size ").append(size).append("\r\n\r\n");
        while (sb.length() < size) {
            sb.append("0123456789012345678901234567890123456789012345678901234567890123456789\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
