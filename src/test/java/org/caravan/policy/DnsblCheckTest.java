package org.caravan.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

import org.caravan.mail.RcptRequest;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;
import org.caravan.nexthop.DnsResolvers;
import org.caravan.testing.TestDnsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** RFC 5782 lookups against a test DNS server: what counts as listed, who is never looked up. */
class DnsblCheckTest {
    private TestDnsServer dns;

    /** A clock the test moves. */
    private static final class Ticking extends Clock {
        Instant now = Instant.parse("2026-12-04T12:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final Ticking clock = new Ticking();

    @BeforeEach
    void start() throws Exception {
        dns = TestDnsServer.start()
                .a("2.0.0.127.one.test", "127.0.0.2")
                .a("3.0.0.127.two.test", "127.0.0.4")
                .a("4.0.0.127.one.test", "127.255.255.254") // Spamhaus: "you are querying through a public resolver"
                .a("5.0.0.127.one.test", "127.0.0.1")
                .a("6.0.0.127.one.test", "192.0.2.1")
                .a("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.one.test", "127.0.0.2")
                .servfail("7.0.0.127.one.test");
    }

    @AfterEach
    void stop() throws InterruptedException {
        dns.close();
    }

    private DnsblCheck check(String zones, String trusted) {
        return new DnsblCheck(zones, ClientNetworks.parse(trusted), DnsResolvers.of(dns.address(), Duration.ofSeconds(2)),
                clock);
    }

    private static Verification from(String ip, String user) throws Exception {
        SessionInfo session = new SessionInfo("s1", new InetSocketAddress(InetAddress.getByName(ip), 40000),
                new InetSocketAddress("127.0.0.1", 25), "client.test", true, false, user);
        return Verification.of(new RcptRequest(session, "a@far.test", "alice@example.test", Map.of()),
                new Destination.Local("alice@example.test"));
    }

    @Test
    void aClientListedInAnyZoneIsRefusedNamingTheZone() throws Exception {
        DnsblCheck c = check("one.test, two.test", "10.0.0.0/8");
        assertThat(c.check(from("127.0.0.2", null))).map(SmtpReply::toString)
                .hasValue("554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using one.test");
        assertThat(c.check(from("127.0.0.3", null))).map(SmtpReply::toString)
                .hasValue("554 5.7.1 Service unavailable; Client host [127.0.0.3] blocked using two.test");
        assertThat(c.check(from("2001:db8::1", null))).as("IPv6 by nibbles").isPresent();
    }

    @Test
    void notListedErrorCodesAndFailuresPassTheRecipientOn() throws Exception {
        DnsblCheck c = check("one.test", "10.0.0.0/8");
        assertThat(c.check(from("127.0.0.9", null))).as("NXDOMAIN").isEmpty();
        assertThat(c.check(from("127.0.0.4", null))).as("127.255.255.254 is an error code").isEmpty();
        assertThat(c.check(from("127.0.0.5", null))).as("127.0.0.1 is never a listing").isEmpty();
        assertThat(c.check(from("127.0.0.6", null))).as("outside 127/8").isEmpty();
        assertThat(c.check(from("127.0.0.7", null))).as("SERVFAIL").isEmpty();
    }

    @Test
    void trustedAndAuthenticatedClientsAreNeverLookedUp() throws Exception {
        DnsblCheck c = check("one.test", "127.0.0.0/8");
        assertThat(c.check(from("127.0.0.2", null))).isEmpty();
        DnsblCheck open = check("one.test", "10.0.0.0/8");
        assertThat(open.check(from("127.0.0.2", "alice"))).isEmpty();
        assertThat(dns.queryCount()).isZero();
        assertThat(check("", "10.0.0.0/8").check(from("127.0.0.2", null))).as("no zones, no check").isEmpty();
    }

    @Test
    void anAnswerIsReusedForAMinuteThenAskedAgain() throws Exception {
        DnsblCheck c = check("one.test", "10.0.0.0/8");
        c.check(from("127.0.0.2", null));
        c.check(from("127.0.0.2", null));
        assertThat(dns.queryCount()).isEqualTo(1);
        clock.now = clock.now.plusSeconds(61);
        Optional<SmtpReply> again = c.check(from("127.0.0.2", null));
        assertThat(again).isPresent();
        assertThat(dns.queryCount()).isEqualTo(2);
    }

    @Test
    void theRouteStepSkipsAnAnsweredVerification() throws Exception {
        Verification answered = from("127.0.0.2", null).answer(SmtpReply.of(250, "2.1.5", "ok"));
        assertThat(check("one.test", "10.0.0.0/8").verify(answered)).isSameAs(answered);
        assertThat(dns.queryCount()).isZero();
    }
}
