package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.jms.BytesMessage;
import jakarta.jms.Message;
import org.apache.camel.ProducerTemplate;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inbound JMS gateway (routes/inbound.camel.yaml) on the embedded Artemis: a message on
 * caravan.gateway.in, in either form, is queued through the verify and receive stages and lands in
 * a Maildir; one the router will never take goes to caravan.gateway.rejected with the reason and
 * its content, never dropped.
 */
class InboundJmsTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    TestRouter router;
    ProducerTemplate template;

    @BeforeEach
    void start() throws Exception {
        router = TestRouter.start(dir, Map.of());
        template = router.camel().createProducerTemplate();
    }

    @AfterEach
    void stop() {
        router.close();
    }

    private String deliveredTo(String mailbox) throws Exception {
        await().atMost(WAIT).until(() -> !router.newMail(mailbox).isEmpty());
        List<Path> mail = router.newMail(mailbox);
        assertThat(mail).hasSize(1);
        return Files.readString(mail.get(0), StandardCharsets.UTF_8);
    }

    @Test
    void aMimeMessageWithEnvelopeHeadersIsQueuedAndDelivered() throws Exception {
        template.sendBodyAndHeaders("jms:queue:caravan.gateway.in",
                "From: erp@erp.test\nTo: bob@example.test\nSubject: invoice 9\n\nPlease pay.\n".getBytes(StandardCharsets.US_ASCII),
                Map.of("CaravanSender", "erp@erp.test", "CaravanRecipients", "bob@example.test\nalice@example.test"));

        String bob = deliveredTo("bob@example.test");
        assertThat(bob).startsWith("Return-Path: <erp@erp.test>\r\n").contains("with JMS id ")
                .contains("Subject: invoice 9\r\n").contains("Please pay.\r\n");
        assertThat(deliveredTo("alice@example.test")).contains("Subject: invoice 9\r\n");
        await().atMost(WAIT).until(() -> router.queueDepth("caravan.gateway.in") == 0);
        assertThat(router.queueDepth("caravan.gateway.rejected")).isZero();
    }

    @Test
    void theJsonDocumentIsTheSecondForm() throws Exception {
        template.sendBody("jms:queue:caravan.gateway.in", """
                {"version": 1, "envelope": {"from": "", "to": ["alice@example.test"]},
                 "subject": "from the bus", "text": "Hello from JMS."}
                """);

        String alice = deliveredTo("alice@example.test");
        assertThat(alice).startsWith("Return-Path: <>\r\n").contains("Subject: from the bus\r\n")
                .contains("Hello from JMS.");
        // Date and Message-ID as for any submission: once, by the router, with its name
        assertThat(alice).containsOnlyOnce("\r\nDate: ").containsOnlyOnce("\r\nMessage-ID: ")
                .containsPattern("\r\nMessage-ID: <[0-9A-Z]{17}@" + TestRouter.HOSTNAME.replace(".", "\\.") + ">\r\n");
    }

    @Test
    void whatTheRouterWillNotTakeGoesToTheRejectQueueWithTheReasonAndTheContent() throws Exception {
        // an unknown local recipient (550 5.1.1), a bad envelope, a document that is not JSON
        template.sendBodyAndHeaders("jms:queue:caravan.gateway.in", "Subject: one\r\n\r\nfirst\r\n",
                Map.of("CaravanSender", "erp@erp.test", "CaravanRecipients", "nobody@example.test"));
        template.sendBodyAndHeaders("jms:queue:caravan.gateway.in", "Subject: two\r\n\r\nsecond\r\n",
                Map.of("CaravanSender", "not an address", "CaravanRecipients", "bob@example.test"));
        template.sendBody("jms:queue:caravan.gateway.in", "{\"version\": 1, \"envelope\": ");

        await().atMost(WAIT).until(() -> router.queueDepth("caravan.gateway.rejected") == 3);
        List<Message> rejected = router.browse("caravan.gateway.rejected");
        List<String> reasons = rejected.stream().map(m -> {
            try {
                return m.getStringProperty("CaravanRejectReason");
            } catch (jakarta.jms.JMSException e) {
                throw new IllegalStateException(e);
            }
        }).toList();
        assertThat(reasons).anySatisfy(r -> assertThat(r).contains("nobody@example.test").contains("550 5.1.1"))
                .anySatisfy(r -> assertThat(r).contains("sender 'not an address'"))
                .anySatisfy(r -> assertThat(r).startsWith("not a JSON document"));
        Message first = rejected.stream().filter(m -> {
            try {
                return m.getStringProperty("CaravanRejectReason").contains("nobody");
            } catch (jakarta.jms.JMSException e) {
                throw new IllegalStateException(e);
            }
        }).findFirst().orElseThrow();
        byte[] content = new byte[(int) ((BytesMessage) first).getBodyLength()];
        ((BytesMessage) first).readBytes(content);
        assertThat(new String(content, StandardCharsets.US_ASCII)).isEqualTo("Subject: one\r\n\r\nfirst\r\n");
        assertThat(first.getStringProperty("CaravanRecipients")).isEqualTo("nobody@example.test");
        assertThat(router.queueDepth("caravan.gateway.in")).isZero();
        assertThat(router.newMail("bob@example.test")).isEmpty();
        try (var work = Files.list(router.dataDir().resolve("gateway/in"))) {
            assertThat(work).as("work files deleted").isEmpty();
        }
    }

    @Test
    void aLargeMessageStreamsThroughTheQueueIntoTheMaildir() throws Exception {
        StringBuilder body = new StringBuilder("Subject: large\r\n\r\n");
        String line = "x".repeat(998) + "\r\n";
        while (body.length() < 3 * 1024 * 1024) { // over Artemis's large-message threshold: streamed
            body.append(line);
        }
        byte[] bytes = body.toString().getBytes(StandardCharsets.US_ASCII);
        template.sendBodyAndHeaders("jms:queue:caravan.gateway.in", bytes,
                Map.of("CaravanSender", "erp@erp.test", "CaravanRecipients", "bob@example.test"));

        String bob = deliveredTo("bob@example.test");
        assertThat(bob).contains("Subject: large\r\n");
        assertThat(bob.length()).isGreaterThan(bytes.length); // our trace fields in front, nothing cut
        assertThat(bob).endsWith(line);
    }
}
