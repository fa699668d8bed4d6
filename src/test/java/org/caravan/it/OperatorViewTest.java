package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.caravan.testing.MailClient;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator sees with jconsole: deferred mail on caravan.deferred through the broker's
 * JMX queue view, with its count, next attempt, age and last error.
 */
class OperatorViewTest {
    @TempDir
    Path dir;

    @Test
    void deferredMailIsListableThroughTheBrokersJmxView() throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start().onRcpt("busy@far.test", "451 4.2.1 try later");
             TestRouter router = TestRouter.start(dir, Map.of(
                     "caravan.relay.smarthost", "127.0.0.1:" + nextHop.port(),
                     "caravan.retry.min-backoff", "1h"))) {
            new MailClient("127.0.0.1", router.smtpPort()).send("alice@example.test", List.of("busy@far.test"),
                    "Subject: waiting\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII));

            MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
            ObjectName deferred = new ObjectName("org.apache.activemq.artemis:broker=\"caravan\",component=addresses,"
                    + "address=\"caravan.deferred\",subcomponent=queues,routing-type=\"anycast\","
                    + "queue=\"caravan.deferred\"");
            await().atMost(Duration.ofSeconds(20)).until(() -> ((Number) jmx.getAttribute(deferred, "ScheduledCount"))
                    .longValue() == 1);
            String listing = (String) jmx.invoke(deferred, "listScheduledMessagesAsJSON", new Object[0], new String[0]);
            assertThat(listing).contains("busy@far.test").contains("451 4.2.1 try later")
                    .contains("CaravanNextAttempt").contains("CaravanArrivalTime").contains("CaravanAttempts")
                    .contains("CaravanFirstAttempt");
        }
    }
}
