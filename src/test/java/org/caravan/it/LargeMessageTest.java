package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;

import org.caravan.testing.RouterProcess;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stream, don't buffer: a 50 MB message passes end to end (client, router, Artemis large
 * message, relay, next hop) through a router process limited to a 256 MB heap that exits on
 * OutOfMemoryError, and arrives byte-exact.
 */
class LargeMessageTest {
    private static final int SIZE = 50 * 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void fiftyMegabyteMessagePassesThroughA256MegabyteHeap() throws Exception {
        relayFiftyMegabytes((s, digest) -> {
            s.send("DATA");
            s.expect("354");
            return writeContent(s, digest, ".\r\n");
        });
    }

    /** The same, as one 50 MB BDAT LAST chunk (RFC 3030): it streams to the spool file too. */
    @Test
    void fiftyMegabyteBdatChunkPassesThroughA256MegabyteHeap() throws Exception {
        relayFiftyMegabytes((s, digest) -> {
            s.sendRaw("BDAT " + contentLength() + " LAST\r\n");
            long sent = writeContent(s, digest, "");
            assertThat(sent).isEqualTo(contentLength());
            return sent;
        });
    }

    /** How the content goes out after RCPT: returns the octets written, fed into the digest. */
    @FunctionalInterface
    private interface ContentSender {
        long send(SmtpTranscript session, MessageDigest digest) throws Exception;
    }

    /**
     * A router process with a 256 MB heap relays a 50 MB message sent by {@code content}: it must
     * arrive byte-exact (SHA-256 of the tail behind our Received header) and the router survive.
     */
    private void relayFiftyMegabytes(ContentSender content) throws Exception {
        try (ScriptedSmtpServer nextHop = ScriptedSmtpServer.start("8BITMIME", "SIZE 104857600");
             RouterProcess router = RouterProcess.start(dir, Map.of(
                     "caravan.relay.smarthost", "127.0.0.1:" + nextHop.port(),
                     "caravan.smtp.port", String.valueOf(TestRouter.freePort())), "256m")) {
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            long sentBytes;
            try (SmtpTranscript s = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), Duration.ofSeconds(120))) {
                s.expect("220");
                s.send("EHLO big.client.test");
                s.expect("250");
                s.send("MAIL FROM:<big@client.test> SIZE=" + (SIZE + 1024));
                s.expect("250");
                s.send("RCPT TO:<someone@far.test>");
                s.expect("250");
                sentBytes = content.send(s, sent);
                s.expect("250 2.0.0");
                s.send("QUIT");
                s.expect("221");
            }

            await().atMost(Duration.ofSeconds(180)).until(() -> nextHop.messages().size() == 1);
            byte[] received = nextHop.messages().get(0).content();
            byte[] tail = Arrays.copyOfRange(received, received.length - (int) sentBytes, received.length);
            assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(tail)))
                    .isEqualTo(HexFormat.of().formatHex(sent.digest()));
            assertThat(new String(received, 0, 200, StandardCharsets.US_ASCII)).startsWith("Received: ");
            assertThat(router.isAlive()).as("router survived with -Xmx256m").isTrue();
            assertThat(router.log()).doesNotContain("OutOfMemoryError");
        }
    }

    private static final byte[] HEADER =
            "Subject: fifty megabytes\r\nFrom: big@client.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** Octets {@link #writeContent} writes before its terminator. */
    private static long contentLength() {
        long lines = (SIZE - HEADER.length + 77) / 78;
        return HEADER.length + lines * 78;
    }

    /**
     * Writes SIZE octets of 76-character lines (plus headers), feeding the digest as it goes, then
     * {@code terminator} (".\r\n" for DATA, nothing for BDAT).
     */
    private static long writeContent(SmtpTranscript session, MessageDigest digest, String terminator) throws Exception {
        byte[] header = HEADER;
        long written = 0;
        OutputStream raw = session.rawOutput();
        OutputStream out = new BufferedOutputStream(raw, 1 << 16);
        out.write(header);
        digest.update(header);
        written += header.length;
        byte[] line = new byte[78];
        int n = 0;
        while (written < SIZE) {
            for (int i = 0; i < 76; i++) {
                line[i] = (byte) ('A' + (n + i) % 26);
            }
            line[76] = '\r';
            line[77] = '\n';
            out.write(line);
            digest.update(line);
            written += line.length;
            n++;
        }
        out.write(terminator.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return written;
    }
}
