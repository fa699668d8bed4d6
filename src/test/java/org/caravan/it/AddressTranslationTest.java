package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.caravan.testing.GatewaySchema;
import org.caravan.testing.MailClient;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Address translation end to end, both ways, for a UUCP-style gateway whose transport entry says
 * {@code addresses: [bang, percent]}: mail to {@code seismo!joe@uucp.test} reaches the gateway as
 * the path {@code seismo!joe}; mail from {@code seismo!joe} posted through the gateway reaches a
 * local user from {@code seismo!joe@uucp.test}, its From field rewritten and the rewrite traced.
 */
class AddressTranslationTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    TestRouter router;
    int httpPort;

    @BeforeEach
    void start() throws Exception {
        Path broker = TestRouter.brokerConfigWithQueues(dir, "uucp.out");
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                  - address: bob@example.test
                  - address: postmaster@example.test
                transport:
                  uucp.test:
                    endpoint: "jms:queue:uucp.out"
                    format: json
                    addresses: [bang, percent]
                """);
        httpPort = TestRouter.freePort();
        router = TestRouter.start(dir, Map.of("caravan.broker.config", broker.toString(),
                "caravan.gateway.http.port", String.valueOf(httpPort), "caravan.gateway.http.token", "uucp-token"));
    }

    @AfterEach
    void stop() {
        router.close();
    }

    @Test
    void outboundTheGatewayGetsTheRecipientsInItsOwnAddressing() throws Exception {
        new MailClient("127.0.0.1", router.smtpPort()).send("alice@example.test",
                List.of("seismo!joe@uucp.test", "ann%vaxa@uucp.test"),
                "Subject: to the old net\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII));

        Exchange out = router.camel().createConsumerTemplate().receive("jms:queue:uucp.out", WAIT.toMillis());
        assertThat(out).isNotNull();
        List<String> recipients = List.of(out.getMessage().getHeader("CaravanRecipients", String.class).split("\n"));
        List<String> translated = List.of(out.getMessage().getHeader("CaravanGatewayRecipients", String.class).split("\n"));
        assertThat(translated).hasSameSizeAs(recipients);
        for (int i = 0; i < recipients.size(); i++) {
            assertThat(translated.get(i)).isEqualTo(recipients.get(i).equals("seismo!joe@uucp.test") ? "seismo!joe" : "ann@vaxa");
        }
        JsonNode doc = new ObjectMapper().readTree(out.getMessage().getBody(String.class));
        assertThat(doc.get("envelope").get("gatewayTo")).extracting(JsonNode::asText)
                .containsExactlyElementsOf(translated);
        assertThat(GatewaySchema.problems(doc)).isEmpty();
    }

    @Test
    void inboundTheEnvelopeAndTheAddressFieldsBecomeRfc5321AddressesThroughTheGateway() throws Exception {
        byte[] message = ("From: Joe <seismo!joe>\r\nReply-To: ann@vaxa\r\nTo: bob@example.test\r\n"
                + "Subject: from the old net\r\n\r\nhi bob\r\n").getBytes(StandardCharsets.US_ASCII);
        String query = "?gateway=uucp.test&from=" + URLEncoder.encode("seismo!joe", StandardCharsets.UTF_8)
                + "&to=bob@example.test";
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + "/api/v1/messages" + query))
                .header("Content-Type", "message/rfc822").header("Authorization", "Bearer uucp-token")
                .POST(HttpRequest.BodyPublishers.ofByteArray(message)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);

        await().atMost(WAIT).until(() -> !router.newMail("bob@example.test").isEmpty());
        String mail = Files.readString(router.newMail("bob@example.test").get(0), StandardCharsets.UTF_8)
                .replace("\r\n ", " "); // unfolded (RFC 5322 §2.2.3): the trace fields are folded at 76
        assertThat(mail).startsWith("Return-Path: <seismo!joe@uucp.test>\r\n")
                .contains("From: Joe <seismo!joe@uucp.test>\r\n")
                .contains("Reply-To: ann%vaxa@uucp.test\r\n")
                .contains("To: bob@example.test\r\n")
                .contains("X-Caravan-Translated: From: Joe <seismo!joe> -> Joe <seismo!joe@uucp.test>\r\n")
                .contains("X-Caravan-Translated: Reply-To: ann@vaxa -> ann%vaxa@uucp.test\r\n")
                .doesNotContain("X-Caravan-Translated: To:")
                .contains("\r\n\r\nhi bob\r\n");

        // a gateway that is not one is named as the problem
        HttpResponse<String> unknown = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + "/api/v1/messages?gateway=nowhere.test&from=a!b&to=bob@example.test"))
                .header("Content-Type", "message/rfc822").header("Authorization", "Bearer uucp-token")
                .POST(HttpRequest.BodyPublishers.ofByteArray(message)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("gateway 'nowhere.test' is not a gateway domain");
    }
}
