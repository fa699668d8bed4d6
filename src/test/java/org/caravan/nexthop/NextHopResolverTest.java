package org.caravan.nexthop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.caravan.testing.TestDnsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NextHopResolverTest {
    private TestDnsServer dns;

    @BeforeEach
    void startDns() throws Exception {
        dns = TestDnsServer.start();
    }

    @AfterEach
    void stopDns() throws Exception {
        dns.close();
    }

    private NextHopResolver resolver(Map<String, String> transport, String smarthost) {
        return new NextHopResolver(transport, smarthost, dns.address(), Duration.ofSeconds(2));
    }

    private static List<String> relays(List<MailHost> hosts) {
        return hosts.stream().map(MailHost::relay).toList();
    }

    @Test
    void mxRecordsAreTriedInPreferenceOrder() throws Exception {
        dns.mx("example.test", 20, "mx2.example.test").mx("example.test", 10, "mx1.example.test")
                .mx("example.test", 30, "mx3.example.test")
                .a("mx1.example.test", "127.0.0.11").a("mx2.example.test", "127.0.0.12")
                .a("mx3.example.test", "127.0.0.13").aaaa("mx3.example.test", "::1");

        assertThat(relays(resolver(Map.of(), null).resolve("example.test"))).containsExactly(
                "mx1.example.test[127.0.0.11]:25", "mx2.example.test[127.0.0.12]:25",
                "mx3.example.test[127.0.0.13]:25", "mx3.example.test[0:0:0:0:0:0:0:1]:25");
    }

    @Test
    void equalPreferenceKeepsAllHostsWithinTheirRank() throws Exception {
        dns.mx("example.test", 10, "a.example.test").mx("example.test", 10, "b.example.test")
                .mx("example.test", 5, "first.example.test")
                .a("a.example.test", "127.0.0.1").a("b.example.test", "127.0.0.2").a("first.example.test", "127.0.0.3");

        List<String> hosts = resolver(Map.of(), null).resolve("example.test").stream().map(MailHost::host).toList();
        assertThat(hosts.get(0)).isEqualTo("first.example.test");
        assertThat(hosts.subList(1, 3)).containsExactlyInAnyOrder("a.example.test", "b.example.test");
    }

    @Test
    void equalPreferenceOrderIsShuffledAcrossLookups() throws Exception {
        dns.mx("example.test", 10, "a.example.test").mx("example.test", 10, "b.example.test")
                .a("a.example.test", "127.0.0.1").a("b.example.test", "127.0.0.2");
        NextHopResolver r = resolver(Map.of(), null);

        java.util.Set<String> firsts = new java.util.HashSet<>();
        for (int i = 0; i < 64 && firsts.size() < 2; i++) {
            firsts.add(r.resolve("example.test").get(0).host());
        }
        assertThat(firsts).containsExactlyInAnyOrder("a.example.test", "b.example.test"); // p(fail) = 2^-63
    }

    @Test
    void badRoutesAreRefusedAtConstruction() {
        assertThatThrownBy(() -> resolver(Map.of("x.test", "[host:25"), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> resolver(Map.of(), "host:99999")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> resolver(Map.of(), "host:smtp")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unresolvableMxHostIsSkipped() throws Exception {
        dns.mx("example.test", 10, "gone.example.test").mx("example.test", 20, "mx.example.test")
                .a("mx.example.test", "127.0.0.5");

        assertThat(relays(resolver(Map.of(), null).resolve("example.test")))
                .containsExactly("mx.example.test[127.0.0.5]:25");
    }

    @Test
    void noMxFallsBackToTheDomainsOwnAddress() throws Exception {
        dns.a("plain.test", "127.0.0.7");

        assertThat(relays(resolver(Map.of(), null).resolve("plain.test")))
                .containsExactly("plain.test[127.0.0.7]:25");
    }

    @Test
    void nullMxIsPermanent556() {
        dns.nullMx("nomail.test").a("nomail.test", "127.0.0.8");

        assertThatThrownBy(() -> resolver(Map.of(), null).resolve("nomail.test"))
                .isInstanceOfSatisfying(NextHopException.class, e -> {
                    assertThat(e.isTemporary()).isFalse();
                    assertThat(e.reply().code()).isEqualTo(556);
                    assertThat(e.reply().enhanced()).isEqualTo("5.1.10");
                });
    }

    @Test
    void nxdomainIsPermanentBadDestinationSystem() {
        dns.nxdomain("nowhere.test");

        assertThatThrownBy(() -> resolver(Map.of(), null).resolve("nowhere.test"))
                .isInstanceOfSatisfying(NextHopException.class, e -> {
                    assertThat(e.isTemporary()).isFalse();
                    assertThat(e.reply().enhanced()).isEqualTo("5.1.2");
                });
    }

    @Test
    void domainWithoutMxOrAddressIsPermanent() {
        dns.mx("noaddr.test", 10, "nxhost.noaddr.test"); // the only MX host does not exist

        assertThatThrownBy(() -> resolver(Map.of(), null).resolve("noaddr.test"))
                .isInstanceOfSatisfying(NextHopException.class, e -> {
                    assertThat(e.isTemporary()).isFalse();
                    assertThat(e.reply().enhanced()).isEqualTo("5.1.2");
                });
    }

    @Test
    void servfailIsTemporary() {
        dns.servfail("broken.test");

        assertThatThrownBy(() -> resolver(Map.of(), null).resolve("broken.test"))
                .isInstanceOfSatisfying(NextHopException.class, e -> {
                    assertThat(e.isTemporary()).isTrue();
                    assertThat(e.reply().code()).isEqualTo(451);
                    assertThat(e.reply().enhanced()).isEqualTo("4.4.3");
                });
    }

    @Test
    void dnsTimeoutIsTemporary() {
        dns.silent("slow.test");
        NextHopResolver r = new NextHopResolver(Map.of(), null, dns.address(), Duration.ofMillis(300));

        assertThatThrownBy(() -> r.resolve("slow.test"))
                .isInstanceOfSatisfying(NextHopException.class, e -> {
                    assertThat(e.isTemporary()).isTrue();
                    assertThat(e.reply().enhanced()).isEqualTo("4.4.3");
                });
    }

    @Test
    void unreachableDnsServerIsTemporary() throws Exception {
        String deadServer = dns.address();
        dns.close(); // nothing answers on that port any more
        NextHopResolver r = new NextHopResolver(Map.of(), null, deadServer, Duration.ofMillis(300));

        assertThatThrownBy(() -> r.resolve("example.test"))
                .isInstanceOfSatisfying(NextHopException.class, e -> assertThat(e.isTemporary()).isTrue());
    }

    @Test
    void servfailForOneMxHostStillUsesTheOthersButAllFailingIsTemporary() throws Exception {
        dns.mx("example.test", 10, "flaky.example.test").mx("example.test", 20, "mx.example.test")
                .servfail("flaky.example.test").a("mx.example.test", "127.0.0.5");
        dns.mx("allflaky.test", 10, "flaky.example.test");

        assertThat(relays(resolver(Map.of(), null).resolve("example.test")))
                .containsExactly("mx.example.test[127.0.0.5]:25");
        assertThatThrownBy(() -> resolver(Map.of(), null).resolve("allflaky.test"))
                .isInstanceOfSatisfying(NextHopException.class, e -> assertThat(e.isTemporary()).isTrue());
    }

    @Test
    void transportMapWithBracketsSkipsMxLookup() throws Exception {
        dns.mx("relay.test", 10, "mx.relay.test").a("mx.relay.test", "127.0.0.20").a("relay.test", "127.0.0.21");

        assertThat(relays(resolver(Map.of("example.test", "[relay.test]:2526"), null).resolve("example.test")))
                .containsExactly("relay.test[127.0.0.21]:2526");
    }

    @Test
    void transportMapWithoutBracketsLooksUpMxOfTheHost() throws Exception {
        dns.mx("relay.test", 10, "mx.relay.test").a("mx.relay.test", "127.0.0.20").a("relay.test", "127.0.0.21");

        assertThat(relays(resolver(Map.of("example.test", "relay.test:2526"), null).resolve("example.test")))
                .containsExactly("mx.relay.test[127.0.0.20]:2526");
    }

    @Test
    void transportMapParentEntryMatchesSubdomainsAndWinsOverSmarthost() throws Exception {
        NextHopResolver r = resolver(Map.of(".example.test", "127.0.0.30:2530"), "127.0.0.40:2540");

        assertThat(relays(r.resolve("sub.example.test"))).containsExactly("127.0.0.30[127.0.0.30]:2530");
        assertThat(relays(r.resolve("other.test"))).containsExactly("127.0.0.40[127.0.0.40]:2540");
        assertThat(dns.queryCount()).isZero();
    }

    @Test
    void smarthostIsUsedWhenTheMapHasNoEntry() throws Exception {
        dns.a("smart.test", "127.0.0.50");

        assertThat(relays(resolver(Map.of(), "[smart.test]:587").resolve("anything.test")))
                .containsExactly("smart.test[127.0.0.50]:587");
        assertThat(relays(resolver(Map.of(), "").resolve("smart.test")))
                .containsExactly("smart.test[127.0.0.50]:25"); // empty smarthost = MX lookup
    }

    @Test
    void ipLiteralsAndHostsFileNamesNeedNoDns() throws Exception {
        NextHopResolver r = resolver(Map.of("a.test", "127.0.0.1:2526", "b.test", "[localhost]:2526",
                "c.test", "[IPv6:::1]:2527"), null);

        assertThat(relays(r.resolve("a.test"))).containsExactly("127.0.0.1[127.0.0.1]:2526");
        assertThat(r.resolve("b.test")).singleElement().satisfies(h -> {
            assertThat(h.address().isLoopbackAddress()).isTrue();
            assertThat(h.port()).isEqualTo(2526);
        });
        assertThat(r.resolve("c.test")).singleElement().satisfies(h -> assertThat(h.port()).isEqualTo(2527));
        assertThat(relays(r.resolve("[127.0.0.9]"))).containsExactly("127.0.0.9[127.0.0.9]:25");
        assertThat(dns.queryCount()).isZero();
    }

    @Test
    void everyCandidateCarriesItsDomainsTlsPolicy() throws Exception {
        dns.mx("bank.test", 10, "mx1.bank.test").mx("bank.test", 20, "mx2.bank.test")
                .a("mx1.bank.test", "127.0.0.61").a("mx2.bank.test", "127.0.0.62");
        Map<String, TransportEntry> map = Map.of(
                "bank.test", new TransportEntry(null, TlsPolicy.ENCRYPT),          // MX as usual, TLS required
                "partner.test", new TransportEntry(NextHop.parse("127.0.0.70:2570"), TlsPolicy.VERIFY),
                "plain.test", TransportEntry.of(NextHop.parse("127.0.0.80:2580"))); // default policy
        NextHopResolver r = new NextHopResolver(d -> Optional.ofNullable(map.get(d)), Optional.empty(),
                TlsPolicy.MAY, dns.address(), Duration.ofSeconds(2), 25);

        assertThat(r.resolve("bank.test")).extracting(MailHost::relay, MailHost::tls).containsExactly(
                org.assertj.core.groups.Tuple.tuple("mx1.bank.test[127.0.0.61]:25", TlsPolicy.ENCRYPT),
                org.assertj.core.groups.Tuple.tuple("mx2.bank.test[127.0.0.62]:25", TlsPolicy.ENCRYPT));
        assertThat(r.resolve("partner.test")).singleElement().extracting(MailHost::tls).isEqualTo(TlsPolicy.VERIFY);
        assertThat(r.resolve("plain.test")).singleElement().extracting(MailHost::tls).isEqualTo(TlsPolicy.MAY);
    }

    @Test
    void aTlsOnlyEntryKeepsTheSmarthostAndTheDefaultAppliesElsewhere() throws Exception {
        Map<String, TransportEntry> map = Map.of(".bank.test", new TransportEntry(null, TlsPolicy.ENCRYPT));
        NextHopResolver r = new NextHopResolver(d -> Optional.ofNullable(map.get(d)),
                Optional.of(NextHop.parse("127.0.0.40:2540")), TlsPolicy.NONE, dns.address(), Duration.ofSeconds(2), 25);

        assertThat(r.resolve("eu.bank.test")).singleElement().satisfies(h -> {
            assertThat(h.relay()).isEqualTo("127.0.0.40[127.0.0.40]:2540");
            assertThat(h.tls()).isEqualTo(TlsPolicy.ENCRYPT);
        });
        assertThat(r.resolve("other.test")).singleElement().extracting(MailHost::tls).isEqualTo(TlsPolicy.NONE);
    }
}
