package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import org.caravan.directory.PasswordHash;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inbound HTTP gateway through the real router: a real HTTP client posts to
 * {@code /api/v1/messages}; accepted mail goes through the verify and receive stages and lands in
 * a Maildir; every refusal is an HTTP status naming the problem, with nothing queued.
 */
class InboundHttpTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "t0ken-for-tests";

    @TempDir
    Path dir;
    TestRouter router;
    HttpClient http = HttpClient.newHttpClient();
    String base;

    @BeforeEach
    void start() throws Exception {
        Files.createDirectories(dir);
        String hash = PasswordHash.create("correct horse".toCharArray(), 4);
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                    password: "%s"
                  - address: bob@example.test
                    password: "%s"
                  - address: postmaster@example.test
                """.formatted(hash, hash));
        int port = TestRouter.freePort();
        Map<String, String> settings = new HashMap<>();
        settings.put("caravan.gateway.http.port", String.valueOf(port));
        settings.put("caravan.gateway.http.token", TOKEN);
        settings.put("caravan.gateway.http.users", "alice@example.test");
        settings.put("caravan.smtp.max-message-size", "20000");
        settings.put("caravan.mynetworks", "192.0.2.0/24"); // the test client is not trusted: only its credentials count
        router = TestRouter.start(dir, settings);
        base = "http://127.0.0.1:" + port + "/api/v1/messages";
    }

    @AfterEach
    void stop() {
        router.close();
    }

    private HttpResponse<String> post(String query, String contentType, byte[] body, String authorization)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + query))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String bearer() {
        return "Bearer " + TOKEN;
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    private MimeMessage delivered(String mailbox) throws Exception {
        await().atMost(WAIT).until(() -> !router.newMail(mailbox).isEmpty());
        List<Path> mail = router.newMail(mailbox);
        assertThat(mail).hasSize(1);
        try (InputStream in = Files.newInputStream(mail.get(0))) {
            return new MimeMessage(Session.getInstance(new Properties()), in);
        }
    }

    @Test
    void anRfc822PostIsAnswered202OnceQueuedAndLandsInTheMaildir() throws Exception {
        // A file from a Unix machine: LF line ends, no Date or Message-ID.
        byte[] message = "From: Orders <orders@shop.test>\nTo: Bob <bob@example.test>\nSubject: order 42\n\nShipped.\n"
                .getBytes(StandardCharsets.US_ASCII);
        HttpResponse<String> response = post("?from=orders@shop.test&to=bob@example.test", "message/rfc822", message,
                bearer());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        String queueId = json(response).get("queueId").asText();
        assertThat(queueId).matches("[0-9A-Z]{17}");
        MimeMessage mail = delivered("bob@example.test");
        assertThat(mail.getSubject()).isEqualTo("order 42");
        assertThat(mail.getHeader("Return-Path")[0]).isEqualTo("<orders@shop.test>");
        assertThat(mail.getHeader("Received")[0]).contains("with HTTP id " + queueId).contains("by " + TestRouter.HOSTNAME);
        assertThat(mail.getHeader("Date")).as("a submission gets a Date").isNotNull();
        assertThat(mail.getHeader("Message-ID")).as("and a Message-ID").isNotNull();
        String raw = Files.readString(router.newMail("bob@example.test").get(0), StandardCharsets.US_ASCII);
        assertThat(raw).contains("Subject: order 42\r\n").contains("\r\n\r\nShipped.\r\n")
                .doesNotContainPattern("[^\r]\n");
    }

    @Test
    void aJsonDocumentBecomesAMimeMessageWithItsAttachment() throws Exception {
        byte[] attachment = "col1,col2\n1,2\n".getBytes(StandardCharsets.US_ASCII);
        String doc = """
                {"version": 1,
                 "envelope": {"from": "crm@shop.test", "to": ["bob@example.test"], "ret": "HDRS",
                              "dsn": [{"recipient": "bob@example.test", "notify": ["FAILURE"], "orcpt": null}]},
                 "subject": "Rapport für März",
                 "from": [{"name": "CRM", "address": "crm@shop.test"}],
                 "to": [{"name": "Bob", "address": "bob@example.test"}],
                 "date": "2026-12-06T10:15:30Z",
                 "messageId": "<report-7@shop.test>",
                 "headers": [{"name": "X-Ticket", "value": "T-7"}, {"name": "Subject", "value": "ignored"}],
                 "text": "See the attachment.",
                 "attachments": [{"filename": "report.csv", "contentType": "text/csv", "size": %d, "contentId": null,
                                  "content": "%s"}]}
                """.formatted(attachment.length, Base64.getEncoder().encodeToString(attachment));
        HttpResponse<String> response = post("", "application/json; charset=utf-8",
                doc.getBytes(StandardCharsets.UTF_8), basic("alice@example.test", "correct horse"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        MimeMessage mail = delivered("bob@example.test");
        assertThat(mail.getSubject()).isEqualTo("Rapport für März");
        assertThat(mail.getHeader("Message-ID")[0]).isEqualTo("<report-7@shop.test>");
        assertThat(mail.getHeader("X-Ticket")[0]).isEqualTo("T-7");
        assertThat(mail.getHeader("Subject")).hasSize(1);
        assertThat(mail.getSentDate().toInstant()).hasToString("2026-12-06T10:15:30Z");
        assertThat(mail.getHeader("Received")[0]).contains("with HTTP id");
        assertThat(mail.getHeader("Date")).hasSize(1);
        Multipart parts = (Multipart) mail.getContent();
        assertThat(parts.getCount()).isEqualTo(2);
        assertThat(parts.getBodyPart(0).getContent()).isEqualTo("See the attachment.");
        Part csv = parts.getBodyPart(1);
        assertThat(csv.getFileName()).isEqualTo("report.csv");
        assertThat(csv.getContentType()).startsWith("text/csv");
        assertThat(csv.getInputStream().readAllBytes()).isEqualTo(attachment);
    }

    @Test
    void withoutValidCredentialsTheAnswerIs401Or403AndNothingIsRead() throws Exception {
        byte[] message = "Subject: x\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII);
        String q = "?from=a@shop.test&to=bob@example.test";

        HttpResponse<String> none = post(q, "message/rfc822", message, null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().allValues("WWW-Authenticate")).anyMatch(v -> v.startsWith("Basic"))
                .anyMatch(v -> v.startsWith("Bearer"));
        assertThat(post(q, "message/rfc822", message, "Bearer wrong").statusCode()).isEqualTo(401);
        assertThat(post(q, "message/rfc822", message, basic("alice@example.test", "wrong")).statusCode()).isEqualTo(401);
        // bob's password is right, but only alice may post (caravan.gateway.http.users)
        HttpResponse<String> bob = post(q, "message/rfc822", message, basic("bob@example.test", "correct horse"));
        assertThat(bob.statusCode()).isEqualTo(403);
        assertThat(json(bob).get("error").asText()).contains("bob@example.test");

        assertThat(router.queueDepth("caravan.inbound")).isZero();
        assertThat(router.messagesAdded("caravan.inbound") + router.messagesAdded("caravan.relay")).isZero();
        assertThat(router.newMail("bob@example.test")).isEmpty();
    }

    @Test
    void badRequestsAreNamedAndNothingIsQueued() throws Exception {
        byte[] message = "Subject: x\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII);

        HttpResponse<String> noRecipient = post("?from=a@shop.test", "message/rfc822", message, bearer());
        assertThat(noRecipient.statusCode()).isEqualTo(400);
        assertThat(json(noRecipient).get("error").asText()).contains("no recipient");

        HttpResponse<String> badSender = post("?from=not-an-address&to=bob@example.test", "message/rfc822", message, bearer());
        assertThat(badSender.statusCode()).isEqualTo(400);
        assertThat(json(badSender).get("error").asText()).contains("not-an-address");

        HttpResponse<String> badJson = post("", "application/json", "{\"version\": 1, ".getBytes(StandardCharsets.UTF_8),
                bearer());
        assertThat(badJson.statusCode()).isEqualTo(400);
        assertThat(json(badJson).get("error").asText()).startsWith("not a JSON document");

        HttpResponse<String> noEnvelope = post("", "application/json", "{\"version\": 1}".getBytes(StandardCharsets.UTF_8),
                bearer());
        assertThat(noEnvelope.statusCode()).isEqualTo(400);
        assertThat(json(noEnvelope).get("error").asText()).contains("envelope");

        HttpResponse<String> nul = post("?from=a@shop.test&to=bob@example.test", "message/rfc822",
                "Subject: x\r\n\r\nnul\0here\r\n".getBytes(StandardCharsets.US_ASCII), bearer());
        assertThat(nul.statusCode()).isEqualTo(400);
        assertThat(json(nul).get("error").asText()).contains("NUL");

        HttpResponse<String> text = post("?from=a@shop.test&to=bob@example.test", "text/plain", message, bearer());
        assertThat(text.statusCode()).isEqualTo(415);

        HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(base)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");

        assertThat(router.messagesAdded("caravan.inbound") + router.messagesAdded("caravan.relay")).isZero();
    }

    @Test
    void policyRefusalsAre422WithTheSmtpRepliesOfEachRecipient() throws Exception {
        byte[] message = "Subject: x\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII);
        HttpResponse<String> response = post("?from=a@shop.test&to=bob@example.test,nobody@example.test",
                "message/rfc822", message, bearer());

        assertThat(response.statusCode()).isEqualTo(422);
        JsonNode body = json(response);
        assertThat(body.get("recipients").get("nobody@example.test").asText()).startsWith("550 5.1.1");
        assertThat(body.get("recipients").has("bob@example.test")).isFalse();
        assertThat(router.messagesAdded("caravan.inbound") + router.messagesAdded("caravan.relay"))
                .as("nothing queued when one recipient is refused").isZero();

        // RFC 5321 §6.3 loop detection holds as for SMTP: past caravan.loop.max-received-headers (100)
        StringBuilder looping = new StringBuilder();
        for (int i = 0; i < 101; i++) {
            looping.append("Received: from hop").append(i).append(" by hop").append(i + 1).append("; Sun, 6 Dec 2026 10:00:00 +0000\r\n");
        }
        looping.append("Subject: loop\r\n\r\nround and round\r\n");
        HttpResponse<String> loop = post("?from=a@shop.test&to=bob@example.test", "message/rfc822",
                looping.toString().getBytes(StandardCharsets.US_ASCII), bearer());
        assertThat(loop.statusCode()).as(loop.body()).isEqualTo(422);
        assertThat(json(loop).get("reply").asText()).startsWith("554 5.4.6");
        assertThat(router.newMail("bob@example.test")).isEmpty();
    }

    @Test
    void overTheSizeLimitIs413WhetherContentLengthSaysSoOrNot() throws Exception {
        byte[] big = ("Subject: big\r\n\r\n" + "x".repeat(78) + "\r\n").repeat(300).getBytes(StandardCharsets.US_ASCII);
        HttpResponse<String> declared = post("?from=a@shop.test&to=bob@example.test", "message/rfc822", big, bearer());
        assertThat(declared.statusCode()).isEqualTo(413);

        // chunked: no Content-Length, the limit is found while the body streams to the spool
        HttpRequest chunked = HttpRequest.newBuilder(URI.create(base + "?from=a@shop.test&to=bob@example.test"))
                .header("Content-Type", "message/rfc822").header("Authorization", bearer())
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
        HttpResponse<String> streamed = http.send(chunked, HttpResponse.BodyHandlers.ofString());
        assertThat(streamed.statusCode()).isEqualTo(413);
        assertThat(json(streamed).get("error").asText()).contains("20000");
        assertThat(router.messagesAdded("caravan.inbound") + router.messagesAdded("caravan.relay")).isZero();
        try (var spool = Files.list(router.dataDir().resolve("spool"))) {
            assertThat(spool).as("no spool file left").isEmpty();
        }
    }

    @Test
    void overHttpsWithTheListenersCertificate() throws Exception {
        router.close();
        int port = TestRouter.freePort();
        router = TestRouter.start(dir, Map.of("caravan.gateway.http.port", String.valueOf(port),
                "caravan.gateway.http.tls", "true", "caravan.gateway.http.token", TOKEN));
        javax.net.ssl.HttpsURLConnection https = (javax.net.ssl.HttpsURLConnection) URI.create(
                "https://127.0.0.1:" + port + "/api/v1/messages?from=a@shop.test&to=bob@example.test").toURL().openConnection();
        https.setSSLSocketFactory(org.caravan.testing.TestTls.trusting(router.tlsCertificate()));
        https.setHostnameVerifier((host, session) -> true); // the development certificate names the router's hostname
        https.setRequestMethod("POST");
        https.setDoOutput(true);
        https.setRequestProperty("Content-Type", "message/rfc822");
        https.setRequestProperty("Authorization", bearer());
        try (var out = https.getOutputStream()) {
            out.write("Subject: over TLS\r\n\r\nsecret\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(https.getResponseCode()).isEqualTo(202);
        assertThat(https.getCipherSuite()).isNotBlank();
        MimeMessage mail = delivered("bob@example.test");
        assertThat(mail.getHeader("Received")[0]).contains("with HTTPS id");

        // plain HTTP on the TLS port is not answered as HTTP
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/api/v1/messages")).GET().build(),
                HttpResponse.BodyHandlers.ofString()))).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void aPostInProgressAtShutdownIsFinishedAnd202MeansItIsQueued() throws Exception {
        byte[] head = "Subject: slow upload\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        InputStream slow = new InputStream() {
            int sent = -1;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                sent++;
                if (sent == 0) {
                    System.arraycopy(head, 0, b, off, head.length);
                    return head.length;
                }
                if (sent > 6) {
                    return -1;
                }
                started.countDown();
                try {
                    Thread.sleep(250); // a slow client: the upload is still going when the router stops
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                byte[] line = ("line " + sent + "\r\n").getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(line, 0, b, off, line.length);
                return line.length;
            }
        };
        java.util.concurrent.CompletableFuture<HttpResponse<String>> response = http.sendAsync(
                HttpRequest.newBuilder(URI.create(base + "?from=a@shop.test&to=bob@example.test"))
                        .header("Content-Type", "message/rfc822").header("Authorization", bearer())
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> slow)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(started.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        Path spool = router.dataDir().resolve("spool");
        await().atMost(WAIT).until(() -> { // the router is reading the body into its spool file
            try (var files = Files.list(spool)) {
                return files.findAny().isPresent();
            } catch (java.nio.file.NoSuchFileException notYet) {
                return false;
            }
        });
        router.close(); // SIGTERM's path: the HTTP gateway drains with the SMTP sessions
        HttpResponse<String> answered = response.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(answered.statusCode()).as(answered.body()).isEqualTo(202);

        router = TestRouter.start(dir, Map.of("caravan.gateway.http.port", String.valueOf(TestRouter.freePort())));
        MimeMessage mail = delivered("bob@example.test");
        assertThat(mail.getSubject()).isEqualTo("slow upload");
    }
}
