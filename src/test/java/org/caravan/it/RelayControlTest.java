package org.caravan.it;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Map;

import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Never an open relay (RFC 5321 §3.6): with mynetworks = 127.0.0.1/32, a client connecting from
 * 127.0.0.2 is untrusted. It may send to local mailboxes only; remote recipients are refused at
 * RCPT time, unknown local users too.
 */
class RelayControlTest {
    @TempDir
    Path dir;
    TestRouter router;

    @BeforeEach
    void start() {
        router = TestRouter.start(dir, Map.of("caravan.mynetworks", "127.0.0.1/32"));
    }

    @AfterEach
    void stop() {
        router.close();
    }

    private SmtpTranscript from(String sourceAddress) throws Exception {
        return SmtpTranscript.connect("127.0.0.1", router.smtpPort(), InetAddress.getByName(sourceAddress));
    }

    @Test
    void untrustedClientCannotRelayButReachesLocalMailboxes() throws Exception {
        try (SmtpTranscript s = from("127.0.0.2")) {
            s.expect("220");
            s.send("EHLO outside.test");
            s.expect("250");
            s.send("MAIL FROM:<someone@outside.test>");
            s.expect("250");
            s.send("RCPT TO:<victim@far.test>");
            s.expect("554 5.7.1");
            s.send("RCPT TO:<nobody@example.test>");
            s.expect("550 5.1.1");
            s.send("RCPT TO:<alice@example.test>");
            s.expect("250 2.1.5");
            s.send("QUIT");
            s.expect("221");
        }
    }

    @Test
    void trustedClientMayRelay() throws Exception {
        try (SmtpTranscript s = from("127.0.0.1")) {
            s.expect("220");
            s.send("EHLO inside.test");
            s.expect("250");
            s.send("MAIL FROM:<someone@inside.test>");
            s.expect("250");
            s.send("RCPT TO:<friend@far.test>");
            s.expect("250 2.1.5");
            s.send("QUIT");
            s.expect("221");
        }
    }
}
