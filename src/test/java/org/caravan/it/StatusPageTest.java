package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.caravan.testing.MailClient;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in a real browser: Debian's headless Chromium (installed here when missing)
 * opens {@code /status#token=...} on a router that has accepted, delivered and deferred mail; the
 * screenshot must show the chart's bars and queue line in their colours, and the page's DOM the
 * deferred message with its last error and the listeners.
 */
class StatusPageTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @BeforeAll
    static void chromium() throws Exception {
        if (Files.isExecutable(CHROMIUM)) {
            return;
        }
        for (List<String> step : List.of(List.of("apt-get", "update", "-q"), List.of("apt-get", "install", "-y", "-q", "chromium"))) {
            ProcessBuilder pb = new ProcessBuilder(step).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process p = pb.start();
            assertThat(p.waitFor(15, TimeUnit.MINUTES)).as("%s finished", step).isTrue();
            assertThat(p.exitValue()).as("%s (the browser test installs Debian's chromium)", step).isZero();
        }
        assertThat(CHROMIUM).isExecutable();
    }

    private static String run(Path out, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--hide-scrollbars", "--window-size=1100,1100", "--virtual-time-budget=10000",
                "--user-data-dir=" + out.resolveSibling("chromium-profile")));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(out.resolveSibling("chromium.log").toFile()).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        return stdout;
    }

    /** Pixels within a small distance of {@code rgb}. */
    private static long pixels(BufferedImage image, int rgb) {
        long n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                int dr = ((p >> 16) & 0xff) - ((rgb >> 16) & 0xff);
                int dg = ((p >> 8) & 0xff) - ((rgb >> 8) & 0xff);
                int db = (p & 0xff) - (rgb & 0xff);
                if (dr * dr + dg * dg + db * db < 300) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void theChartAndTablesRenderWithTheRoutersData() throws Exception {
        Files.writeString(dir.resolve("directory.yaml"), """
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                  - address: postmaster@example.test
                transport:
                  far.test: "[127.0.0.1]:1"
                """);
        int port = TestRouter.freePort();
        try (TestRouter router = TestRouter.start(dir, Map.of("caravan.management.port", String.valueOf(port),
                "caravan.retry.min-backoff", "1h"))) {
            MailClient client = new MailClient("127.0.0.1", router.smtpPort());
            for (int i = 0; i < 3; i++) {
                client.send("someone@client.test", List.of("alice@example.test"),
                        ("Subject: local " + i + "\r\n\r\nhi\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            client.send("alice@example.test", List.of("bob@far.test"), "Subject: far\r\n\r\nhi\r\n".getBytes(StandardCharsets.US_ASCII));
            await().atMost(WAIT).until(() -> router.scheduled("caravan.deferred").size() == 1
                    && router.newMail("alice@example.test").size() == 3);
            String token = Files.readString(router.dataDir().resolve("management.token")).strip();

            HttpResponse<String> data = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/api/v1/status")).header("Authorization", "Bearer " + token).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(data.statusCode()).isEqualTo(200);
            JsonNode status = new ObjectMapper().readTree(data.body());
            JsonNode now = status.get("history").get(59);
            assertThat(now.get("accepted").asLong() + status.get("history").get(58).get("accepted").asLong()).isEqualTo(4);
            assertThat(status.get("oldest_deferred").get(0).get("recipients").get(0).asText()).isEqualTo("bob@far.test");

            String page = "http://127.0.0.1:" + port + "/status#token=" + token;
            String dom = run(dir.resolve("dom.html"), "--dump-dom", page);
            assertThat(dom).contains("bob@far.test").contains("connection refused").contains("<td>MTA</td>")
                    .contains("<td>Started</td>").doesNotContain("Cannot read the status");
            Path shot = dir.resolve("status.png");
            run(shot, "--screenshot=" + shot, page);
            BufferedImage image = ImageIO.read(shot.toFile());
            assertThat(image).as("the screenshot").isNotNull();
            assertThat(pixels(image, 0x1f77b4)).as("accepted bars").isGreaterThan(50);
            assertThat(pixels(image, 0x2ca02c)).as("delivered bars").isGreaterThan(50);
            assertThat(pixels(image, 0xff7f0e)).as("the queue depth's point, beside its key in the legend").isGreaterThan(40);
        }
    }
}
