package org.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.caravan.directory.Alias;
import org.caravan.directory.Directory;
import org.caravan.directory.DirectorySource;
import org.caravan.directory.Mailbox;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.envelope.QueuedEnvelope;
import org.caravan.envelope.RecipientNotice;
import org.caravan.envelope.RecipientOutcomes;
import org.caravan.policy.RecipientClassifier;
import org.caravan.srs.SrsRewriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The expand stage's bean alone: the plan of a message (local, one part per remote domain,
 * unroutable last) and each part made into its own message with the headers the later steps read.
 */
class RecipientRouterTest {
    private static final String CONTENT = "Subject: hi\r\n\r\nhello\r\n";
    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final RecipientRouter router = new RecipientRouter(new RecipientClassifier(new DirectorySource(
            new Directory(List.of("example.test"), List.of(new Mailbox("alice@example.test", null, null)), Map.of(),
                    "+", List.of(new Alias("team@example.test", List.of("alice@example.test", "x@far.test"))),
                    List.of(), List.of(), Map.of())),
            new SrsRewriter("secret".getBytes(StandardCharsets.UTF_8), "example.test", Duration.ofDays(21),
                    Clock.fixed(Instant.parse("2026-12-04T10:00:00Z"), ZoneOffset.UTC))));

    @AfterEach
    void close() throws Exception {
        camel.close();
    }

    private static QueuedEnvelope envelope(String... recipients) {
        return QueuedEnvelope.of("0QID", "carol@sender.test", List.of(recipients), Instant.parse("2026-12-04T09:00:00Z"));
    }

    private List<RoutePart> plan(String... recipients) throws Exception {
        return router.partsOf(envelope(recipients),
                () -> new java.io.ByteArrayInputStream(CONTENT.getBytes(StandardCharsets.US_ASCII)));
    }

    private Exchange message(String... recipients) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setHeader(EnvelopeHeaders.QUEUE_ID, "0QID");
        exchange.getMessage().setHeader(EnvelopeHeaders.SENDER, "carol@sender.test");
        exchange.getMessage().setHeader(EnvelopeHeaders.RECIPIENTS, String.join("\n", recipients));
        exchange.getMessage().setHeader("JMSMessageID", "ID:1");
        exchange.getMessage().setBody(CONTENT.getBytes(StandardCharsets.US_ASCII));
        return exchange;
    }

    @Test
    void thePlanGroupsByTraceFieldsLocalFirstThenOnePartPerDomainAndTheUnroutableLast() throws Exception {
        List<RoutePart> plan = plan("nobody@example.test", "y@far.test", "team@example.test", "z@near.test");
        // The recipients as given (no trace fields): a part per domain. Then the alias's expansion,
        // with its Delivered-To: its mailbox first, then its remote domain. The unknown one last.
        assertThat(plan).extracting(RoutePart::kind).containsExactly(RoutePart.Kind.RELAY, RoutePart.Kind.RELAY,
                RoutePart.Kind.LOCAL, RoutePart.Kind.RELAY, RoutePart.Kind.UNROUTABLE);
        assertThat(plan.subList(0, 2)).extracting(RoutePart::domain).containsExactlyInAnyOrder("far.test", "near.test");
        assertThat(plan.subList(0, 2)).allMatch(p -> !p.hasTraceFields());
        assertThat(plan.get(2).recipients()).containsExactly("alice@example.test");
        assertThat(plan.get(2).prepend()).contains("Delivered-To: team@example.test");
        assertThat(plan.get(3).recipients()).containsExactly("x@far.test");
        assertThat(plan.get(3).prepend()).isEqualTo(plan.get(2).prepend());
        assertThat(plan.get(4).failures()).extracting(RecipientNotice::recipient).containsExactly("nobody@example.test");
    }

    @Test
    void aRelayPartBecomesItsOwnMessageForItsNextHop() throws Exception {
        Exchange exchange = message("y@far.test", "x@far.test");
        RoutePart part = router.plan(exchange).get(0);
        exchange.getMessage().setBody(part);
        router.preparePart(exchange);
        assertThat(exchange.getProperty(RecipientRouter.PART)).isEqualTo(part);
        assertThat(exchange.getMessage().getHeader(EnvelopeHeaders.NEXT_HOP)).isEqualTo("far.test");
        assertThat(exchange.getMessage().getHeader(EnvelopeHeaders.RECIPIENTS)).isEqualTo("y@far.test\nx@far.test");
        assertThat(exchange.getMessage().getHeader(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID)).isEqualTo("0QID:relay:far.test");
        assertThat(exchange.getMessage().getHeaders()).doesNotContainKey("JMSMessageID");
        try (var content = MessageContent.open(exchange)) {
            assertThat(new String(content.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo(CONTENT);
        }
    }

    @Test
    void partsForOneDomainWithTheirOwnSenderOrTraceFieldsKeepApartForDuplicateDetection() {
        QueuedEnvelope message = envelope("y@far.test", "x@far.test");
        QueuedEnvelope plain = router.forPart(message,
                new RoutePart(RoutePart.Kind.RELAY, "far.test", List.of("y@far.test")));
        RoutePart tracedPart = new RoutePart(RoutePart.Kind.RELAY, "far.test", List.of("x@far.test"), null,
                "Delivered-To: team@example.test\r\n", List.of(), false);
        QueuedEnvelope traced = router.withTraceFields(router.forPart(message, tracedPart), tracedPart);

        assertThat(plain.duplicateId()).isEqualTo("0QID:relay:far.test");
        assertThat(traced.duplicateId()).startsWith("0QID:relay:far.test:").isNotEqualTo(plain.duplicateId());
        assertThat(traced.prepend()).isEqualTo("Delivered-To: team@example.test\r\n");
        assertThat(traced.recipients()).containsExactly("x@far.test");
    }

    @Test
    void aListPartLeavesFromItsOwnerAndALocalPartHasNoNextHop() {
        QueuedEnvelope message = envelope("list@example.test");
        RoutePart listPart = new RoutePart(RoutePart.Kind.LOCAL, null, List.of("alice@example.test"),
                "owner-list@example.test", "List-Id: <list.example.test>\r\n", List.of(), false);
        QueuedEnvelope part = router.withOwnSender(router.forPart(message, listPart), listPart);
        assertThat(part.sender()).isEqualTo("owner-list@example.test");
        assertThat(part.nextHop()).isEmpty();
        assertThat(part.duplicateId()).as("delivered in this transaction, never queued").isNull();
        RoutePart ownSenderless = new RoutePart(RoutePart.Kind.LOCAL, null, List.of("alice@example.test"));
        assertThat(router.withOwnSender(message, ownSenderless).sender()).isEqualTo("carol@sender.test");
    }

    @Test
    void anUnroutablePartHandsItsFailuresToTheBounceStage() throws Exception {
        Exchange exchange = message("nobody@example.test");
        RoutePart part = router.plan(exchange).get(0);
        exchange.getMessage().setBody(part);
        router.preparePart(exchange);
        router.failUnroutable(exchange);
        assertThat(RecipientOutcomes.get(exchange, RecipientOutcomes.FAILURES)).extracting(RecipientNotice::recipient)
                .containsExactly("nobody@example.test");
    }

    @Test
    void atTheEndOfDataOnlyAPlainRelayPartIsQueuedStraightForRelay() throws Exception {
        Exchange plain = message("y@far.test", "w@far.test");
        router.routeAtReceipt(plain);
        assertThat(plain.getProperty(RecipientRouter.PART_KIND)).isEqualTo("RELAY");
        assertThat(plain.getMessage().getHeader(EnvelopeHeaders.NEXT_HOP)).isEqualTo("far.test");
        assertThat(plain.getMessage().getHeader(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID)).isEqualTo("0QID:relay:far.test");
        assertThat(plain.getMessage().getHeaders()).doesNotContainKey("JMSMessageID");

        // Local recipients, two domains, an alias (trace fields), an unknown user: the expand stage's.
        for (String[] recipients : List.of(new String[] {"alice@example.test"}, new String[] {"y@far.test", "z@near.test"},
                new String[] {"team@example.test"}, new String[] {"nobody@example.test"})) {
            Exchange other = message(recipients);
            router.routeAtReceipt(other);
            assertThat(other.getProperty(RecipientRouter.PART_KIND)).as(String.join(",", recipients)).isNull();
            assertThat(other.getMessage().getHeader(EnvelopeHeaders.NEXT_HOP)).isNull();
            assertThat(other.getMessage().getHeader("JMSMessageID")).isEqualTo("ID:1");
        }
    }
}
