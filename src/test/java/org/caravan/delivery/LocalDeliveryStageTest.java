package org.caravan.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.List;
import java.util.stream.Stream;

import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.caravan.envelope.QueuedEnvelope;
import org.caravan.envelope.RecipientNotice;
import org.caravan.envelope.RecipientOutcomes;
import org.caravan.mail.IoSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local delivery stage's bean at a fixed clock, on a real Maildir and ledger in a temp folder:
 * one delivery per mailbox, successes for the notice stage, and no second delivery when the
 * broker redelivers a message whose first attempt was cut short.
 */
class LocalDeliveryStageTest {
    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path dir;
    MaildirDelivery maildir;
    DeliveryLedger ledger;
    LocalDelivery delivery;

    @BeforeEach
    void setUp() {
        maildir = new MaildirDelivery(dir.resolve("mailboxes"), "mx.caravan.test", clock);
        ledger = DeliveryLedger.open(dir.resolve("ledger"), Duration.ofDays(7), clock);
        delivery = new LocalDelivery(maildir, ledger, clock);
    }

    @AfterEach
    void close() throws Exception {
        ledger.close();
    }

    private static final QueuedEnvelope PART = QueuedEnvelope.of("0QID", "carol@sender.test",
            List.of("alice@example.test", "bob@example.test"), NOW.minusSeconds(60));
    private static final IoSupplier<InputStream> CONTENT = () -> new ByteArrayInputStream(
            "Subject: hi\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII));

    private long inbox(String mailbox) throws Exception {
        Path fresh = maildir.maildir(mailbox).resolve("new");
        if (!Files.isDirectory(fresh)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(fresh)) {
            return files.count();
        }
    }

    @Test
    void eachMailboxGetsOneCopyAndTheSuccessesAreKeptForTheNoticeStage() throws Exception {
        List<RecipientNotice> delivered = delivery.deliverAll(PART, CONTENT);
        assertThat(inbox("alice@example.test")).isEqualTo(1);
        assertThat(inbox("bob@example.test")).isEqualTo(1);
        assertThat(delivered).extracting(RecipientNotice::recipient, RecipientNotice::status)
                .containsExactly(tuple("alice@example.test", "2.0.0"), tuple("bob@example.test", "2.0.0"));
        try (Stream<Path> files = Files.list(maildir.maildir("alice@example.test").resolve("new"))) {
            String stored = Files.readString(files.findFirst().orElseThrow(), StandardCharsets.ISO_8859_1);
            assertThat(stored).contains("Return-Path: <carol@sender.test>").contains("hello");
        }
    }

    @Test
    void aRedeliveryAfterACutShortAttemptDoesNotDeliverAgain() throws Exception {
        delivery.deliverAll(PART, CONTENT); // no completion: the transaction was rolled back or the router died
        List<RecipientNotice> again = delivery.deliverAll(PART, CONTENT);
        assertThat(inbox("alice@example.test")).isEqualTo(1);
        assertThat(inbox("bob@example.test")).isEqualTo(1);
        assertThat(again).as("still reported delivered, for the notice stage").hasSize(2);
    }

    @Test
    void onceTheStagesExchangeCompletesARedeliveryWouldDeliverAgain() throws Exception {
        // The Camel step: the ledger entries are marked done when its exchange (transaction) completes.
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            Exchange exchange = new DefaultExchange(camel);
            PART.writeTo(exchange.getMessage());
            exchange.getMessage().setBody(CONTENT.get().readAllBytes());
            delivery.deliver(exchange);
            assertThat(RecipientOutcomes.get(exchange, RecipientOutcomes.SUCCESSES)).hasSize(2);
            assertThat(ledger.delivered("0QID", "alice@example.test")).isPresent();
            exchange.getExchangeExtension().handoverCompletions().forEach(done -> done.onComplete(exchange));
            assertThat(ledger.delivered("0QID", "alice@example.test")).as("completed").isEmpty();
        }
    }
}
