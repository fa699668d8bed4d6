package org.caravan.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.stream.Stream;

import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.RecipientNotice;
import org.caravan.envelope.RecipientOutcomes;
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
    private final DefaultCamelContext camel = new DefaultCamelContext();

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
        camel.close();
    }

    private Exchange part() {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setHeader(EnvelopeHeaders.QUEUE_ID, "0QID");
        exchange.getMessage().setHeader(EnvelopeHeaders.SENDER, "carol@sender.test");
        exchange.getMessage().setHeader(EnvelopeHeaders.RECIPIENTS, "alice@example.test\nbob@example.test");
        exchange.getMessage().setHeader(EnvelopeHeaders.ARRIVAL_TIME, NOW.minusSeconds(60).toEpochMilli());
        exchange.getMessage().setBody("Subject: hi\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII));
        return exchange;
    }

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
        Exchange exchange = part();
        delivery.deliver(exchange);
        assertThat(inbox("alice@example.test")).isEqualTo(1);
        assertThat(inbox("bob@example.test")).isEqualTo(1);
        assertThat(RecipientOutcomes.get(exchange, RecipientOutcomes.SUCCESSES)).extracting(RecipientNotice::recipient)
                .containsExactly("alice@example.test", "bob@example.test");
        try (Stream<Path> files = Files.list(maildir.maildir("alice@example.test").resolve("new"))) {
            String stored = Files.readString(files.findFirst().orElseThrow(), StandardCharsets.ISO_8859_1);
            assertThat(stored).contains("Return-Path: <carol@sender.test>").contains("hello");
        }
    }

    @Test
    void aRedeliveryAfterACutShortAttemptDoesNotDeliverAgain() throws Exception {
        delivery.deliver(part()); // no completion: the transaction was rolled back or the router died
        Exchange again = part();
        delivery.deliver(again);
        assertThat(inbox("alice@example.test")).isEqualTo(1);
        assertThat(inbox("bob@example.test")).isEqualTo(1);
        assertThat(RecipientOutcomes.get(again, RecipientOutcomes.SUCCESSES)).hasSize(2);
    }
}
