package org.caravan.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Properties;

import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.Test;

/**
 * Parts with lines over 998 octets are re-encoded as quoted-printable, which a MIME reader (here
 * Jakarta Mail) decodes to the very bytes that were sent; everything else passes byte for byte, and
 * long lines no encoding can shorten are reported as residue.
 */
class LongLineEncoderTest {
    private static final String LONG = "<p>" + "long = line ".repeat(200) + "end</p>  ";
    private static final Session SESSION = Session.getInstance(new Properties());

    private static LongLineEncoder.Plan plan(String message) throws IOException {
        return LongLineEncoder.plan(new ByteArrayInputStream(message.getBytes(StandardCharsets.UTF_8)));
    }

    private static String encode(String message) throws IOException {
        LongLineEncoder.Plan plan = plan(message);
        assertThat(plan.asIs()).as("something to encode").isFalse();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LongLineEncoder.write(new ByteArrayInputStream(message.getBytes(StandardCharsets.UTF_8)), plan, out);
        String encoded = out.toString(StandardCharsets.US_ASCII);
        assertThat(longestLine(encoded)).isLessThanOrEqualTo(LongLineEncoder.MAX_LINE);
        return encoded;
    }

    private static MimeMessage parse(String encoded) throws MessagingException {
        return new MimeMessage(SESSION, new ByteArrayInputStream(encoded.getBytes(StandardCharsets.US_ASCII)));
    }

    private static String decoded(Part part) throws Exception {
        return new String(part.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static int longestLine(String s) {
        return Arrays.stream(s.split("\r\n", -1)).mapToInt(String::length).max().orElse(0);
    }

    @Test
    void aMessageWithoutLongLinesNeedsNothing() throws IOException {
        LongLineEncoder.Plan plan = plan("Subject: hi\r\n\r\n" + "x".repeat(998) + "\r\n");
        assertThat(plan.longLines()).isFalse();
        assertThat(plan.asIs()).isTrue();
        assertThat(plan.safe()).isTrue();
        assertThat(LongLineEncoder.hasLongLine(new ByteArrayInputStream(("a".repeat(999)).getBytes()))).isTrue();
        assertThat(LongLineEncoder.hasLongLine(new ByteArrayInputStream(("a".repeat(998) + "\nb").getBytes()))).isFalse();
    }

    @Test
    void aPlainMessageBecomesMimeQuotedPrintableAndDecodesToItsBody() throws Exception {
        String body = "short\r\n" + LONG + "\r\nlast =3D line\t";
        String encoded = encode("Subject: plain\r\nFrom: a@b.test\r\n\r\n" + body);
        assertThat(encoded).startsWith("Subject: plain\r\nFrom: a@b.test\r\n"
                + "MIME-Version: 1.0\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nshort\r\n");
        MimeMessage m = parse(encoded);
        assertThat(m.getEncoding()).isEqualTo("quoted-printable");
        assertThat(decoded(m)).isEqualTo(body);
    }

    @Test
    void onlyThePartWithTheLongLineIsEncodedAndItsTransferEncodingReplaced() throws Exception {
        String html = "<html>\r\n" + LONG + "caf\u00e9\r\n</html>";
        String before = """
                Subject: alt\r
                MIME-Version: 1.0\r
                Content-Type: multipart/alternative;\r
                \tboundary="b1"\r
                \r
                preamble\r
                --b1\r
                Content-Type: text/plain; charset=us-ascii\r
                \r
                short text\r
                --b1\r
                Content-Type: text/html; charset=utf-8\r
                Content-Transfer-Encoding: 8bit\r
                \r
                """;
        String message = before + html + "\r\n--b1--\r\nepilogue\r\n";
        String encoded = encode(message);
        int htmlHeader = before.indexOf("Content-Type: text/html");
        assertThat(encoded).startsWith(before.substring(0, htmlHeader) + "Content-Type: text/html; charset=utf-8\r\n"
                + "Content-Transfer-Encoding: quoted-printable\r\n\r\n<html>\r\n");
        assertThat(encoded).doesNotContain("8bit").endsWith("</html>\r\n--b1--\r\nepilogue\r\n");
        Multipart mp = (Multipart) parse(encoded).getContent();
        assertThat(mp.getCount()).isEqualTo(2);
        assertThat(decoded(mp.getBodyPart(0))).isEqualTo("short text");
        BodyPart second = mp.getBodyPart(1);
        assertThat(second.getHeader("Content-Transfer-Encoding")).containsExactly("quoted-printable");
        assertThat(decoded(second)).isEqualTo(html);
    }

    @Test
    void aReturnedMessageInsideAReportIsEncodedWithinItsMessageRfc822Part() throws Exception {
        String original = "Subject: original\r\n\r\n" + LONG + "\r\n";
        String report = """
                MIME-Version: 1.0\r
                Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r
                \r
                --r\r
                Content-Type: text/plain\r
                \r
                bounced\r
                --r\r
                Content-Type: message/rfc822\r
                Content-Transfer-Encoding: 7bit\r
                \r
                """ + original + "\r\n--r--\r\n";
        assertThat(plan(report).safe()).isTrue();
        String encoded = encode(report);
        assertThat(encoded).contains("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
                + "Subject: original\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
        Multipart mp = (Multipart) parse(encoded).getContent();
        MimeMessage returned = (MimeMessage) mp.getBodyPart(1).getContent();
        assertThat(returned.getSubject()).isEqualTo("original");
        assertThat(decoded(returned)).isEqualTo(LONG + "\r\n");
    }

    @Test
    void longLinesThatNoEncodingCanShortenAreResidue() throws IOException {
        assertThat(plan("Subject: " + "w ".repeat(600) + "\r\n\r\nbody\r\n").safe()).isFalse();
        String base64 = "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + "QUJD".repeat(300) + "\r\n";
        LongLineEncoder.Plan plan = plan(base64);
        assertThat(plan.longLines()).isTrue();
        assertThat(plan.safe()).isFalse();
        assertThat(plan.asIs()).isTrue();
        String multipart = "Content-Type: multipart/mixed; boundary=q\r\n\r\n" + "p".repeat(1200) + "\r\n--q\r\n\r\nx\r\n--q--\r\n";
        assertThat(plan(multipart).safe()).as("a long preamble").isFalse();
    }

    @Test
    void aPartWhoseLineHoldsItsBoundaryIsNotEncoded() throws IOException {
        // A soft line break could start a line with "--q" and cut the part short.
        String message = "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\n"
                + "a".repeat(1100) + "--q" + "b".repeat(10) + "\r\n--q--\r\n";
        LongLineEncoder.Plan plan = plan(message);
        assertThat(plan.asIs()).isTrue();
        assertThat(plan.safe()).isFalse();
    }

    @Test
    void aMultipartDigestDefaultsItsPartsToMessages() throws Exception {
        String message = "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: inner\r\n\r\n"
                + LONG + "\r\n--d--\r\n";
        String encoded = encode(message);
        assertThat(encoded).contains("--d\r\n\r\nSubject: inner\r\nMIME-Version: 1.0\r\n"
                + "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
    }
}
