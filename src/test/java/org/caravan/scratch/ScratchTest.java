package org.caravan.scratch;

import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.activemq.artemis.api.core.management.QueueControl;
import org.apache.activemq.artemis.api.core.management.ResourceNames;
import org.caravan.runtime.EmbeddedBroker;
import org.caravan.testing.MailClient;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScratchTest {
    @TempDir
    Path dir;

    @Test
    void explore() throws Exception {
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                  - address: postmaster@example.test
                transport:
                  far.test: "[127.0.0.1]:1"
                """);
        try (TestRouter router = TestRouter.start(dir, Map.of("caravan.retry.min-backoff", "1h"))) {
            new MailClient("127.0.0.1", router.smtpPort()).send("alice@example.test", List.of("bob@far.test"),
                    "Subject: x\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII));
            await().atMost(Duration.ofSeconds(30)).until(() -> router.scheduled("caravan.deferred").size() == 1);
            EmbeddedBroker b = (EmbeddedBroker) router.camel().getRegistry().lookupByName("broker");
            QueueControl deferred = (QueueControl) b.server().getManagementService().getResource(ResourceNames.QUEUE + "caravan.deferred");
            QueueControl held = (QueueControl) b.server().getManagementService().getResource(ResourceNames.QUEUE + "caravan.held");
            System.out.println("SCHED " + deferred.listScheduledMessagesAsJSON());
            System.out.println("COUNT " + deferred.getMessageCount() + " sched " + deferred.getScheduledCount());
            int moved = deferred.moveMessages("CaravanNextHop = 'far.test'", "caravan.held");
            System.out.println("MOVED " + moved + " held count " + held.getMessageCount() + " sched " + held.getScheduledCount());
            System.out.println("HELD LIST " + held.listMessagesAsJSON(null));
            System.out.println("HELD SCHED " + held.listScheduledMessagesAsJSON());
            System.out.println("DEFERRED after " + deferred.getMessageCount());
        }
    }
}
