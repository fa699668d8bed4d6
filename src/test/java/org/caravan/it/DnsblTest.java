package org.caravan.it;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Map;

import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestDnsServer;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DNSBL step of the shipped verify.camel.yaml over real SMTP: a test DNS server lists
 * 127.0.0.3 in bl.test; mynetworks is 127.0.0.1/32, so 127.0.0.2 and .3 are untrusted.
 */
class DnsblTest {
    @TempDir
    Path dir;
    TestDnsServer dns;
    TestRouter router;

    @BeforeEach
    void start() throws Exception {
        dns = TestDnsServer.start().a("3.0.0.127.bl.test", "127.0.0.2");
        router = TestRouter.start(dir, Map.of("caravan.mynetworks", "127.0.0.1/32",
                "caravan.verify.dnsbl-zones", "bl.test", "caravan.dns.server", dns.address()));
    }

    @AfterEach
    void stop() throws Exception {
        router.close();
        dns.close();
    }

    private SmtpTranscript from(String sourceAddress) throws Exception {
        SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), InetAddress.getByName(sourceAddress));
        s.expect("220");
        s.send("EHLO client.test");
        s.expect("250");
        s.send("MAIL FROM:<someone@outside.test>");
        s.expect("250");
        return s;
    }

    @Test
    void aListedClientIsRefusedAtRcptNamingTheZone() throws Exception {
        try (SmtpTranscript s = from("127.0.0.3")) {
            s.send("RCPT TO:<alice@example.test>");
            s.expect("554 5.7.1 Service unavailable; Client host [127.0.0.3] blocked using bl.test");
            s.send("QUIT");
            s.expect("221");
        }
    }

    @Test
    void unlistedAndTrustedClientsPass() throws Exception {
        try (SmtpTranscript s = from("127.0.0.2")) {
            s.send("RCPT TO:<alice@example.test>");
            s.expect("250 2.1.5");
        }
        int queries = dns.queryCount();
        try (SmtpTranscript s = from("127.0.0.1")) {
            s.send("RCPT TO:<alice@example.test>");
            s.expect("250 2.1.5");
        }
        org.assertj.core.api.Assertions.assertThat(dns.queryCount()).as("mynetworks is never looked up")
                .isEqualTo(queries);
    }
}
