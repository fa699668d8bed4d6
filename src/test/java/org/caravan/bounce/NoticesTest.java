package org.caravan.bounce;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import org.caravan.bounce.Notices.Notice;
import org.caravan.envelope.QueuedEnvelope;
import org.caravan.envelope.RecipientNotice;
import org.caravan.mail.IoSupplier;
import org.caravan.mail.RecipientDsn;
import org.caravan.mail.StatusCodes;
import org.caravan.retry.RetrySchedule;
import org.junit.jupiter.api.Test;

/**
 * The notice stage's decisions at a fixed clock: who gets a bounce, a double bounce or nothing, and
 * when a delay warning or success report is sent (RFC 3461 NOTIFY, RFC 3464 reports).
 */
class NoticesTest {
    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");
    private static final Instant ARRIVAL = NOW.minus(Duration.ofHours(5));
    private static final List<RecipientNotice> BOB = List.of(new RecipientNotice("bob@far.test", "5.1.1",
            "mx.far.test[192.0.2.1]:25", "550 5.1.1 no such user"));
    private static final IoSupplier<InputStream> CONTENT = () -> new ByteArrayInputStream(
            "Subject: hello\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final RetrySchedule schedule = new RetrySchedule(Duration.ofMinutes(5), Duration.ofHours(1),
            Duration.ofDays(5), Duration.ofHours(4));

    private Notices notices(DoubleBounce doubleBounce) {
        return new Notices(new DsnBuilder("mx1.caravan.test", 10_000, clock), doubleBounce,
                "postmaster@caravan.test", schedule, clock);
    }

    /** The original message: from {@code sender} to bob, with bob's NOTIFY, itself a notice of {@code notice}. */
    private static QueuedEnvelope original(String sender, String notify, String notice) {
        QueuedEnvelope e = QueuedEnvelope.of("0ORIGINAL", sender, List.of("bob@far.test"), ARRIVAL);
        if (notify != null) {
            e = e.withDsn("", "", List.of(new RecipientDsn("bob@far.test", RecipientDsn.parseNotify(notify), null)));
        }
        return notice == null ? e : e.withNotice(notice);
    }

    private static String report(Optional<Notice> notice) {
        return new String(notice.orElseThrow().report(), StandardCharsets.UTF_8);
    }

    @Test
    void aFailureBecomesABounceToTheSenderFromTheNullSender() throws Exception {
        Optional<Notice> bounce = notices(DoubleBounce.POSTMASTER).bounceOf(original("alice@example.test", null, null),
                BOB, CONTENT);
        QueuedEnvelope e = bounce.orElseThrow().envelope();
        assertThat(e.recipients()).containsExactly("alice@example.test");
        assertThat(e.sender()).isEmpty();
        assertThat(e.notice()).isEqualTo(Notices.BOUNCE);
        assertThat(e.queueId()).isNotEqualTo("0ORIGINAL");
        assertThat(e.duplicateId()).as("stored once however often it is sent").isEqualTo(e.queueId());
        assertThat(e.arrival()).isEqualTo(NOW);
        assertThat(report(bounce)).contains("Action: failed").contains("Status: 5.1.1")
                .contains("Remote-MTA: dns; mx.far.test").contains("Subject: hello");
    }

    @Test
    void noBounceWhenTheSenderAskedForNone() throws Exception {
        assertThat(notices(DoubleBounce.POSTMASTER).bounceOf(original("alice@example.test", "NEVER", null), BOB,
                CONTENT)).isEmpty();
    }

    @Test
    void aFailedBounceGoesToPostmasterOnceAndThenNowhere() throws Exception {
        Optional<Notice> bounce = notices(DoubleBounce.POSTMASTER).bounceOf(original("", null, Notices.BOUNCE), BOB,
                CONTENT);
        assertThat(bounce.orElseThrow().envelope().recipients()).containsExactly("postmaster@caravan.test");
        assertThat(bounce.orElseThrow().envelope().notice()).isEqualTo(Notices.DOUBLE_BOUNCE);

        assertThat(notices(DoubleBounce.POSTMASTER).bounceOf(original("", null, Notices.DOUBLE_BOUNCE), BOB, CONTENT))
                .as("never loops").isEmpty();
        assertThat(notices(DoubleBounce.DROP).bounceOf(original("", null, Notices.BOUNCE), BOB, CONTENT)).isEmpty();
    }

    @Test
    void aDelayWarningSaysUntilWhenItIsRetriedAndNeverGoesToTheNullSender() throws Exception {
        Optional<Notice> warning = notices(DoubleBounce.POSTMASTER).delayWarningOf(
                original("alice@example.test", null, null), BOB, CONTENT);
        assertThat(warning.orElseThrow().envelope().notice()).isEqualTo(Notices.DELAY);
        assertThat(report(warning)).contains("Action: delayed")
                .contains("Will-Retry-Until: ").contains("9 Dec 2026 05:00:00 +0000");

        assertThat(notices(DoubleBounce.POSTMASTER).delayWarningOf(original("", null, null), BOB, CONTENT)).isEmpty();
    }

    @Test
    void aSuccessReportOnlyWhenAskedFor() throws Exception {
        Optional<Notice> asked = notices(DoubleBounce.POSTMASTER).successOf(
                original("alice@example.test", "SUCCESS", null), BOB, CONTENT);
        assertThat(asked.orElseThrow().envelope().notice()).isEqualTo(Notices.SUCCESS);
        assertThat(report(asked)).contains("Action: relayed");

        assertThat(notices(DoubleBounce.POSTMASTER).successOf(original("alice@example.test", null, null), BOB,
                CONTENT)).isEmpty();
    }

    @Test
    void everyRecipientOfADeadLetterFailsWithALocalError() {
        QueuedEnvelope dead = QueuedEnvelope.of("0DEAD", "alice@example.test", List.of("a@far.test", "b@far.test"),
                ARRIVAL);
        assertThat(notices(DoubleBounce.POSTMASTER).deadLetterFailures(dead))
                .extracting(RecipientNotice::recipient, RecipientNotice::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("a@far.test", StatusCodes.LOCAL_ERROR),
                        org.assertj.core.groups.Tuple.tuple("b@far.test", StatusCodes.LOCAL_ERROR));
    }
}
