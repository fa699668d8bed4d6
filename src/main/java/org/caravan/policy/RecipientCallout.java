package org.caravan.policy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.caravan.mail.Addresses;
import org.caravan.mail.SmtpReply;

/**
 * Recipient verification by callout to a relay domain's next hop (Postfix's
 * {@code reject_unverified_recipient}), with the answers remembered, as Postfix's verify cache
 * does, so one sender's mail to the same recipient does not call out every time: an accepted
 * recipient for {@link #POSITIVE_TTL}, a refused one for {@link #NEGATIVE_TTL}; a temporary
 * answer (4xx, no host reachable) is not remembered.
 */
public final class RecipientCallout {
    /** How the next hop is asked: its reply to RCPT TO for this recipient. */
    @FunctionalInterface
    public interface Probe {
        SmtpReply ask(String recipient);
    }

    public static final Duration POSITIVE_TTL = Duration.ofHours(1);
    public static final Duration NEGATIVE_TTL = Duration.ofMinutes(10);
    private static final int MAX_ENTRIES = 100_000;

    private record Answer(SmtpReply reply, Instant until) {
    }

    private final Probe probe;
    private final Clock clock;
    private final Map<String, Answer> cache = new ConcurrentHashMap<>();

    public RecipientCallout(Probe probe, Clock clock) {
        this.probe = probe;
        this.clock = clock;
    }

    /** The next hop's reply for {@code recipient}, remembered or asked now. */
    public SmtpReply verify(String recipient) {
        String key = Addresses.normalize(recipient);
        Instant now = clock.instant();
        Answer known = cache.get(key);
        if (known != null && now.isBefore(known.until())) {
            return known.reply();
        }
        SmtpReply reply = probe.ask(recipient);
        if (!reply.isTransientFailure()) {
            if (cache.size() >= MAX_ENTRIES) {
                cache.entrySet().removeIf(e -> !now.isBefore(e.getValue().until()));
                if (cache.size() >= MAX_ENTRIES) {
                    cache.clear(); // bounded: a flood of distinct addresses costs callouts, not memory
                }
            }
            cache.put(key, new Answer(reply, now.plus(reply.isPositive() ? POSITIVE_TTL : NEGATIVE_TTL)));
        }
        return reply;
    }
}
