package org.caravan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.caravan.smtp.ConnectionLimiter.Verdict;
import org.junit.jupiter.api.Test;

/** The router-wide connection counter: total, per client address, exemptions, release. */
class ConnectionLimiterTest {

    private static InetAddress ip(String a) throws Exception {
        return InetAddress.getByName(a);
    }

    @Test
    void perClientLimitHoldsForEachAddressAndExemptionsOnlyCountTowardsTheTotal() throws Exception {
        ConnectionLimiter limiter = new ConnectionLimiter(5, 2, a -> a.getHostAddress().equals("127.0.0.1"));
        assertThat(limiter.acquire(ip("127.0.0.2"))).isEqualTo(Verdict.ACCEPTED);
        assertThat(limiter.acquire(ip("127.0.0.2"))).isEqualTo(Verdict.ACCEPTED);
        assertThat(limiter.acquire(ip("127.0.0.2"))).isEqualTo(Verdict.TOO_MANY_FROM_CLIENT);
        assertThat(limiter.acquire(ip("127.0.0.3"))).isEqualTo(Verdict.ACCEPTED);
        assertThat(limiter.acquire(ip("127.0.0.1"))).isEqualTo(Verdict.ACCEPTED);
        assertThat(limiter.acquire(ip("127.0.0.1"))).isEqualTo(Verdict.ACCEPTED); // exempt: a third from it
        assertThat(limiter.total()).isEqualTo(5);
        assertThat(limiter.acquire(ip("127.0.0.1"))).isEqualTo(Verdict.TOO_MANY_TOTAL); // the total binds everyone
        assertThat(limiter.acquire(ip("127.0.0.4"))).isEqualTo(Verdict.TOO_MANY_TOTAL);
        assertThat(limiter.total()).isEqualTo(5);
    }

    @Test
    void releaseFreesBothCounts() throws Exception {
        ConnectionLimiter limiter = new ConnectionLimiter(2, 1, a -> false);
        assertThat(limiter.acquire(ip("10.0.0.1"))).isEqualTo(Verdict.ACCEPTED);
        assertThat(limiter.acquire(ip("10.0.0.1"))).isEqualTo(Verdict.TOO_MANY_FROM_CLIENT);
        limiter.release(ip("10.0.0.1"));
        assertThat(limiter.from(ip("10.0.0.1"))).isZero();
        assertThat(limiter.total()).isZero();
        assertThat(limiter.acquire(ip("10.0.0.1"))).isEqualTo(Verdict.ACCEPTED);
        assertThat(limiter.acquire(null)).isEqualTo(Verdict.ACCEPTED); // unknown address: the total only
        assertThat(limiter.acquire(null)).isEqualTo(Verdict.TOO_MANY_TOTAL);
        limiter.release(null);
        assertThat(limiter.total()).isEqualTo(1);
    }
}
