package org.caravan.envelope;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.camel.Message;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one mapping between the typed envelope and the headers a queued message carries. */
class QueuedEnvelopeTest {
    private static final Instant ARRIVAL = Instant.parse("2026-12-04T10:00:00Z");
    private final DefaultCamelContext camel = new DefaultCamelContext();

    @AfterEach
    void close() throws Exception {
        camel.close();
    }

    @Test
    void anEnvelopeSurvivesTheTripThroughHeaders() {
        QueuedEnvelope envelope = QueuedEnvelope.of("0QID", "alice@sender.test", List.of("a@far.test", "b@far.test"),
                ARRIVAL).withOrigin("192.0.2.7", "client.test", "MTA").withBody("8BITMIME", true)
                .withNextHop("far.test").afterAttempt(ARRIVAL.plusSeconds(5), true)
                .prependingFirst("Delivered-To: x@example.test\r\n");
        Message message = new DefaultMessage(camel);
        envelope.writeTo(message);
        assertThat(QueuedEnvelope.from(message)).isEqualTo(envelope);
    }

    @Test
    void valuesWrittenAsTextByAnotherToolAreReadTyped() {
        Message message = new DefaultMessage(camel);
        message.setHeaders(new java.util.HashMap<>(Map.of(EnvelopeHeaders.QUEUE_ID, "0QID",
                EnvelopeHeaders.ARRIVAL_TIME, String.valueOf(ARRIVAL.toEpochMilli()),
                EnvelopeHeaders.ATTEMPTS, "3", EnvelopeHeaders.DELAY_WARNED, "true")));
        QueuedEnvelope envelope = QueuedEnvelope.from(message);
        assertThat(envelope.arrival()).isEqualTo(ARRIVAL);
        assertThat(envelope.attempts()).isEqualTo(3);
        assertThat(envelope.delayWarned()).isTrue();
        assertThat(envelope.sender()).as("absent: the null sender").isEmpty();
    }

    @Test
    void brokerHeadersOfTheConsumedMessageNeverReachTheNextQueueing() {
        Message consumed = new DefaultMessage(camel);
        QueuedEnvelope.of("0QID", "", List.of("a@far.test"), ARRIVAL).withDuplicateId("0QID").writeTo(consumed);
        consumed.setHeader("JMSMessageID", "ID:1");
        QueuedEnvelope read = QueuedEnvelope.from(consumed);
        assertThat(read.duplicateId()).as("an instruction for one queueing, not part of the envelope").isNull();
        Message next = new DefaultMessage(camel);
        next.setHeader("JMSMessageID", "ID:1");
        read.writeTo(next);
        assertThat(next.getHeaders()).doesNotContainKeys("JMSMessageID", EnvelopeHeaders.ARTEMIS_DUPLICATE_ID);
    }

    @Test
    void aChangeInTheMiddleOfAStageKeepsTheInstructionsAlreadySet() {
        Message part = new DefaultMessage(camel);
        QueuedEnvelope envelope = QueuedEnvelope.of("0QID", "alice@sender.test", List.of("a@far.test"), ARRIVAL)
                .withDuplicateId("0QID:relay:far.test");
        envelope.writeTo(part);
        QueuedEnvelope.from(part).withSender("SRS0=x@example.test").applyTo(part);
        assertThat(part.getHeader(EnvelopeHeaders.SENDER)).isEqualTo("SRS0=x@example.test");
        assertThat(part.getHeader(EnvelopeHeaders.ARTEMIS_DUPLICATE_ID)).isEqualTo("0QID:relay:far.test");
    }
}
