package org.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import java.util.List;

import org.caravan.envelope.QueuedEnvelope;
import org.caravan.srs.SrsRewriter;
import org.junit.jupiter.api.Test;

/** The forward stage's bean at a fixed clock: the sender of forwarded mail, SRS-rewritten into our domain. */
class ForwarderTest {
    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");
    private final SrsRewriter srs = new SrsRewriter("secret".getBytes(StandardCharsets.UTF_8), "srs.caravan.test",
            Duration.ofDays(21), Clock.fixed(NOW, ZoneOffset.UTC));
    private final Forwarder forwarder = new Forwarder(srs);

    private String forwardedSender(String sender) {
        QueuedEnvelope envelope = QueuedEnvelope.of("0QID", sender, List.of("moved@new.test"), NOW);
        QueuedEnvelope forwarded = forwarder.forwarded(envelope);
        assertThat(forwarded.recipients()).as("only the sender changes").isEqualTo(envelope.recipients());
        return forwarded.sender();
    }

    @Test
    void aForwardedSenderBecomesAnSrsAddressOfOursThatReversesToIt() throws Exception {
        String rewritten = forwardedSender("alice@sender.test");
        assertThat(rewritten).startsWith("SRS0=").endsWith("=sender.test=alice@srs.caravan.test");
        assertThat(srs.reverse(rewritten)).isEqualTo("alice@sender.test");
    }

    @Test
    void theNullSenderAndOurOwnDomainStayAsTheyAre() {
        assertThat(forwardedSender("")).isEmpty();
        assertThat(forwardedSender("bob@srs.caravan.test")).isEqualTo("bob@srs.caravan.test");
    }

    @Test
    void aSenderThatCannotBeRewrittenIsForwardedUnchanged() {
        assertThat(forwardedSender("no-domain")).isEqualTo("no-domain");
    }
}
