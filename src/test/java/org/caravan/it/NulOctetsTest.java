package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caravan.it.BdatTranscriptTest.assertDeliveredExactly;
import static org.caravan.it.BdatTranscriptTest.bdat;
import static org.caravan.it.BdatTranscriptTest.delivered;
import static org.caravan.it.BdatTranscriptTest.hello;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NUL octets in content (RFC 5322 allows none; {@code <CRLF>NUL.<CRLF>} ends the data for a next
 * hop that strips NULs): refused with 554 5.6.0 on DATA and BDAT by default, nothing queued;
 * with caravan.smtp.nul-octets=strip they are dropped and the rest is delivered.
 */
class NulOctetsTest {
    @TempDir
    Path dir;

    @Test
    void contentWithNulIsRefusedOnDataAndBdat() throws Exception {
        try (TestRouter router = TestRouter.startWithMailboxes(dir, Map.of(), "data@example.test",
                "victim@example.test")) {
            try (SmtpTranscript t = hello(router)) {
                t.send("MAIL FROM:<sender@client.test>").expect("250");
                t.send("RCPT TO:<data@example.test>").expect("250");
                t.send("DATA").expect("354");
                // The smuggling sequence: a NUL-stripping next hop would end the data after "first".
                t.sendRaw("Subject: nul\r\n\r\nfirst\r\n\0.\r\nMAIL FROM:<evil@client.test>\r\n"
                        + "RCPT TO:<victim@example.test>\r\nDATA\r\n\r\nsmuggled\r\n.\r\n");
                t.expect("554 5.6.0");
                t.send("RCPT TO:<victim@example.test>").expect("503"); // nothing smuggled ran here
                t.send("MAIL FROM:<sender@client.test>").expect("250");
                t.send("RCPT TO:<data@example.test>").expect("250");
                t.sendRaw(bdat("Subject: nul in a chunk\r\n\r\na\0b\r\n".getBytes(StandardCharsets.ISO_8859_1), true));
                t.expect("554 5.6.0");
            }
            router.assertNothingDelivered("data@example.test", "victim@example.test");
            assertThat(router.queueDepth("caravan.inbound")).isZero();
        }
    }

    @Test
    void stripDropsTheNulsAndDeliversTheRest() throws Exception {
        try (TestRouter router = TestRouter.startWithMailboxes(dir, Map.of("caravan.smtp.nul-octets", "strip"),
                "data@example.test")) {
            try (SmtpTranscript t = hello(router)) {
                t.send("MAIL FROM:<sender@client.test>").expect("250");
                t.send("RCPT TO:<data@example.test>").expect("250");
                t.send("DATA").expect("354");
                t.sendRaw("Subject: strip\r\n\r\na\0b\0\0c\r\n\0.\r\n.\r\n");
                t.expect("250 2.0.0 Queued as ");
            }
            assertDeliveredExactly(delivered(router, "data@example.test"),
                    "Subject: strip\r\n\r\nabc\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
        }
    }
}
