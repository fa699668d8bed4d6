package org.caravan.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.ValidationMessage;
import org.caravan.mail.RecipientDsn;
import org.caravan.smtpclient.Envelope;
import org.caravan.testing.GatewaySchema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewayDocumentTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String MESSAGE = """
            From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@client.test>
            To: Orders <orders@orders.example>, other@orders.example
            Cc: <cc@far.test>
            Subject: =?UTF-8?B?QmVzdGVsbHVuZyDDvGJlciA1IFN0w7xjaw==?=
            Date: Sun, 06 Dec 2026 15:00:00 +0100
            Message-ID: <order-1@client.test>
            X-Folded: first
             second
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="outer"

            --outer
            Content-Type: multipart/alternative; boundary="inner"

            --inner
            Content-Type: text/plain; charset=UTF-8
            Content-Transfer-Encoding: quoted-printable

            F=C3=BCnf St=C3=BCck, bitte.
            --inner
            Content-Type: text/html; charset=UTF-8

            <p>F\u00fcnf St\u00fcck</p>
            --inner--
            --outer
            Content-Type: application/pdf; name="order.pdf"
            Content-Disposition: attachment; filename="order.pdf"
            Content-Transfer-Encoding: base64

            JVBERi0xLjQKc21hbGwK
            --outer
            Content-Type: image/png
            Content-Disposition: inline; filename="logo.png"
            Content-ID: <logo@client.test>
            Content-Transfer-Encoding: base64

            iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==
            --outer--
            """.replace("\n", "\r\n");

    @TempDir
    Path dir;

    private static Set<ValidationMessage> problems(JsonNode document) {
        return GatewaySchema.problems(document);
    }

    private JsonNode document(String message, long inlineLimit) throws Exception {
        Path spooled = dir.resolve("message.eml");
        Files.writeString(spooled, message, StandardCharsets.UTF_8);
        Envelope envelope = new Envelope("0QID", "juergen@client.test", List.of("orders@orders.example"),
                Instant.parse("2026-12-06T14:00:00Z"), "8BITMIME", "HDRS", "env-1",
                Map.of("orders@orders.example", new RecipientDsn("orders@orders.example",
                        Set.of(RecipientDsn.Notify.SUCCESS), "rfc822;orders@orders.example")));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new GatewayDocument(inlineLimit).write("0QID", envelope, spooled, dir, out);
        return JSON.readTree(out.toByteArray());
    }

    @Test
    void aMultipartMessageBecomesAValidDocumentWithDecodedFieldsBodiesAndAttachments() throws Exception {
        JsonNode doc = document(MESSAGE, 1 << 20);

        assertThat(problems(doc)).isEmpty();
        assertThat(doc.get("version").asInt()).isEqualTo(1);
        assertThat(doc.get("queueId").asText()).isEqualTo("0QID");
        JsonNode envelope = doc.get("envelope");
        assertThat(envelope.get("from").asText()).isEqualTo("juergen@client.test");
        assertThat(envelope.get("to").get(0).asText()).isEqualTo("orders@orders.example");
        assertThat(envelope.get("ret").asText()).isEqualTo("HDRS");
        assertThat(envelope.get("envid").asText()).isEqualTo("env-1");
        assertThat(envelope.get("dsn").get(0).get("notify").get(0).asText()).isEqualTo("SUCCESS");
        assertThat(envelope.get("dsn").get(0).get("orcpt").asText()).isEqualTo("rfc822;orders@orders.example");

        assertThat(doc.get("subject").asText()).isEqualTo("Bestellung über 5 Stück");
        assertThat(doc.get("from").get(0).get("name").asText()).isEqualTo("Jürgen Müller");
        assertThat(doc.get("from").get(0).get("address").asText()).isEqualTo("juergen@client.test");
        assertThat(doc.get("to")).hasSize(2);
        assertThat(doc.get("to").get(1).get("name").isNull()).isTrue();
        assertThat(doc.get("cc").get(0).get("address").asText()).isEqualTo("cc@far.test");
        assertThat(doc.get("date").asText()).isEqualTo("2026-12-06T14:00:00Z");
        assertThat(doc.get("messageId").asText()).isEqualTo("<order-1@client.test>");
        assertThat(doc.get("text").asText()).isEqualTo("Fünf Stück, bitte.");
        assertThat(doc.get("html").asText()).contains("<p>Fünf Stück</p>");

        // headers: every field in order, unfolded, encoded words decoded
        List<String> names = doc.get("headers").findValuesAsText("name");
        assertThat(names).startsWith("From", "To", "Cc", "Subject", "Date", "Message-ID", "X-Folded");
        assertThat(doc.get("headers").get(0).get("value").asText()).isEqualTo("Jürgen Müller <juergen@client.test>");
        assertThat(doc.get("headers").get(6).get("value").asText()).isEqualTo("first second");

        JsonNode pdf = doc.get("attachments").get(0);
        assertThat(pdf.get("filename").asText()).isEqualTo("order.pdf");
        assertThat(pdf.get("contentType").asText()).isEqualTo("application/pdf");
        assertThat(Base64.getDecoder().decode(pdf.get("content").asText()))
                .isEqualTo("%PDF-1.4\nsmall\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(pdf.get("size").asLong()).isEqualTo(15);
        JsonNode logo = doc.get("attachments").get(1);
        assertThat(logo.get("contentId").asText()).isEqualTo("<logo@client.test>");
        assertThat(logo.get("contentType").asText()).isEqualTo("image/png");
    }

    @Test
    void anAttachmentOverTheInlineLimitIsAFileNamedByItsRef() throws Exception {
        JsonNode doc = document(MESSAGE, 20);

        assertThat(problems(doc)).isEmpty();
        JsonNode pdf = doc.get("attachments").get(0);
        assertThat(pdf.has("ref")).isFalse();
        assertThat(pdf.get("size").asLong()).isEqualTo(15);
        JsonNode logo = doc.get("attachments").get(1);
        assertThat(logo.has("content")).isFalse();
        Path ref = Path.of(logo.get("ref").asText());
        assertThat(Files.size(ref)).isEqualTo(logo.get("size").asLong()).isEqualTo(70);
        assertThat(Files.readAllBytes(ref)).startsWith(0x89, 'P', 'N', 'G');
    }

    @Test
    void aPlainMessageWithoutMimeHasItsTextAndNoAttachments() throws Exception {
        JsonNode doc = document("Subject: plain\r\n\r\njust text\r\n", 1024);

        assertThat(problems(doc)).isEmpty();
        assertThat(doc.get("text").asText()).isEqualTo("just text\r\n");
        assertThat(doc.get("html").isNull()).isTrue();
        assertThat(doc.get("from")).isEmpty();
        assertThat(doc.get("date").isNull()).isTrue();
        assertThat(doc.get("attachments")).isEmpty();
    }

    @Test
    void theSchemaRefusesADocumentThatBreaksIt() throws Exception {
        JsonNode doc = document(MESSAGE, 1 << 20);
        ((com.fasterxml.jackson.databind.node.ObjectNode) doc).remove("queueId");
        ((com.fasterxml.jackson.databind.node.ObjectNode) doc.get("attachments").get(0)).put("ref", "/tmp/x");

        assertThat(problems(doc)).extracting(ValidationMessage::getMessage)
                .anySatisfy(m -> assertThat(m).contains("queueId"))
                .anySatisfy(m -> assertThat(m).contains("attachments[0]").contains("only one schema"));
    }
}
