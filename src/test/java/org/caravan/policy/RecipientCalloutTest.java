package org.caravan.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import org.caravan.mail.SmtpReply;
import org.junit.jupiter.api.Test;

/** The callout's memory: accepted and refused recipients are remembered for a while, temporary answers never. */
class RecipientCalloutTest {
    static final class MovingClock extends Clock {
        Instant now = Instant.parse("2026-12-06T10:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    final MovingClock clock = new MovingClock();
    final List<String> asked = new ArrayList<>();

    private RecipientCallout callout(SmtpReply answer) {
        return new RecipientCallout(r -> {
            asked.add(r);
            return answer;
        }, clock);
    }

    @Test
    void anAcceptedRecipientIsRememberedForThePositiveTtl() {
        RecipientCallout c = callout(SmtpReply.of(250, "2.1.5", "OK"));
        assertThat(c.verify("Ann@Inner.test").code()).isEqualTo(250);
        assertThat(c.verify("ann@inner.test").code()).isEqualTo(250);
        assertThat(asked).hasSize(1);
        clock.now = clock.now.plus(RecipientCallout.POSITIVE_TTL).minusSeconds(1);
        c.verify("ann@inner.test");
        assertThat(asked).hasSize(1);
        clock.now = clock.now.plus(Duration.ofSeconds(1));
        c.verify("ann@inner.test");
        assertThat(asked).hasSize(2);
    }

    @Test
    void aRefusedRecipientIsRememberedForTheShorterNegativeTtl() {
        RecipientCallout c = callout(SmtpReply.of(550, "5.1.1", "no such user"));
        assertThat(c.verify("gone@inner.test").code()).isEqualTo(550);
        c.verify("gone@inner.test");
        assertThat(asked).hasSize(1);
        clock.now = clock.now.plus(RecipientCallout.NEGATIVE_TTL);
        c.verify("gone@inner.test");
        assertThat(asked).hasSize(2);
    }

    @Test
    void aTemporaryAnswerIsAskedAgainEachTime() {
        RecipientCallout c = callout(SmtpReply.of(451, "4.4.1", "no answer"));
        assertThat(c.verify("x@inner.test").isTransientFailure()).isTrue();
        c.verify("x@inner.test");
        assertThat(asked).hasSize(2);
    }
}
