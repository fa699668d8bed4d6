package org.caravan.smtpclient;

import java.time.Clock;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.caravan.mail.SmtpReply;
import org.caravan.nexthop.MailHost;
import org.caravan.nexthop.TlsPolicy;
import org.caravan.testing.ScriptedSmtpServer;
import org.caravan.testing.TestCertificates;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * STARTTLS to the next hop (RFC 3207) under each {@link TlsPolicy}, against a scripted server that
 * offers, performs or botches it. What matters: what went over the wire in clear, and what the
 * recipients' outcome says.
 */
class SmtpDeliveryAgentTlsTest {
    private static final byte[] MESSAGE = ("From: a@example.test\r\nSubject: tls\r\n\r\n.dot\r\nbody\r\n")
            .getBytes(ISO_8859_1);

    private ScriptedSmtpServer server;
    private SmtpDeliveryAgent agent;
    private Logger deliveryLog;
    private Level previousLevel;
    private ListAppender<ILoggingEvent> log;

    @BeforeEach
    void start() throws IOException {
        server = ScriptedSmtpServer.start("PIPELINING", "8BITMIME");
        agent = agent(SmtpClientSettings.defaults("caravan.test"));
        deliveryLog = (Logger) LoggerFactory.getLogger("caravan.delivery");
        previousLevel = deliveryLog.getLevel();
        deliveryLog.setLevel(Level.INFO);
        log = new ListAppender<>();
        log.start();
        deliveryLog.addAppender(log);
    }

    @AfterEach
    void stop() throws Exception {
        deliveryLog.detachAppender(log);
        deliveryLog.setLevel(previousLevel);
        agent.close();
        server.close();
    }

    private static SmtpDeliveryAgent agent(SmtpClientSettings settings) {
        return new SmtpDeliveryAgent(settings.withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10)), Clock.systemUTC());
    }

    private MailHost host(TlsPolicy tls) {
        return new MailHost("mx.test", InetAddress.getLoopbackAddress(), server.port(), tls);
    }

    private DeliveryResult deliver(SmtpDeliveryAgent a, MailHost... hosts) {
        return a.deliver(List.of(hosts), new Envelope("T1", "a@example.test", List.of("b@example.test", "c@example.test"),
                Instant.now()), () -> new ByteArrayInputStream(MESSAGE));
    }

    private List<String> logLines() {
        synchronized (log) { // the lock AppenderBase.doAppend appends under
            return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    private long count(String transcriptLine) {
        return server.transcript().stream().filter(transcriptLine::equals).count();
    }

    private boolean anyMail() {
        return server.transcript().stream().anyMatch(l -> l.startsWith("C: MAIL"));
    }

    @Test
    void opportunisticTlsIsUsedWhenOffered() {
        server.offerStartTls();

        DeliveryResult r = deliver(agent, host(TlsPolicy.MAY));

        assertThat(r.delivered()).hasSize(2);
        ScriptedSmtpServer.Received m = server.messages().get(0);
        assertThat(m.overTls()).isTrue();
        assertThat(m.tlsProtocol()).isIn("TLSv1.2", "TLSv1.3");
        assertThat(m.content()).isEqualTo(MESSAGE);
        List<String> t = server.transcript();
        // EHLO, STARTTLS, handshake, EHLO again (RFC 3207 §4.2), and only then the transaction.
        assertThat(t.indexOf("C: STARTTLS")).isLessThan(t.indexOf("S: <tls " + m.tlsProtocol() + ">"));
        assertThat(t.indexOf("S: <tls " + m.tlsProtocol() + ">")).isLessThan(t.lastIndexOf("C: EHLO caravan.test"));
        assertThat(t.lastIndexOf("C: EHLO caravan.test")).isLessThan(t.indexOf("C: MAIL FROM:<a@example.test>"));
        assertThat(count("C: EHLO caravan.test")).isEqualTo(2);
        assertThat(logLines()).hasSize(2).allSatisfy(l -> assertThat(l)
                .contains("relay=mx.test[127.0.0.1]:" + server.port() + " tls=yes tls_protocol=" + m.tlsProtocol()
                        + " tls_cipher=TLS_")
                .contains("status=sent"));
    }

    @Test
    void withoutStartTlsOnOfferTheMessageGoesInClear() {
        DeliveryResult r = deliver(agent, host(TlsPolicy.MAY));

        assertThat(r.delivered()).hasSize(2);
        assertThat(server.messages().get(0).overTls()).isFalse();
        assertThat(server.messages().get(0).content()).isEqualTo(MESSAGE);
        assertThat(count("C: STARTTLS")).isZero();
        assertThat(logLines()).hasSize(2).allSatisfy(l -> assertThat(l).contains(" tls=no delay="));
    }

    @Test
    void failedHandshakeUnderMayIsRetriedOnceInClearOnANewConnection() {
        server.breakTlsHandshake();

        DeliveryResult r = deliver(agent, host(TlsPolicy.MAY));

        assertThat(r.delivered()).hasSize(2);
        assertThat(server.connectionCount()).isEqualTo(2);
        assertThat(count("C: STARTTLS")).isEqualTo(1); // the retry does not try TLS again: no loop
        assertThat(server.messages()).hasSize(1);
        assertThat(server.messages().get(0).overTls()).isFalse();
        assertThat(server.messages().get(0).content()).isEqualTo(MESSAGE);
    }

    @Test
    void refusedStartTlsUnderMayIsRetriedInClear() {
        server.refuseStartTls("454 4.7.0 TLS not available due to local problem");

        DeliveryResult r = deliver(agent, host(TlsPolicy.MAY));

        assertThat(r.delivered()).hasSize(2);
        assertThat(server.connectionCount()).isEqualTo(2);
        assertThat(count("C: STARTTLS")).isEqualTo(1);
        assertThat(server.messages().get(0).overTls()).isFalse();
    }

    @Test
    void refusedStartTlsUnderEncryptDefersWithTheServersReason() {
        server.refuseStartTls("454 4.7.0 TLS not available due to local problem");

        DeliveryResult r = deliver(agent, host(TlsPolicy.ENCRYPT));

        assertThat(r.deferred()).hasSize(2);
        assertThat(r.replyFor("b@example.test").enhanced()).isEqualTo("4.7.5");
        assertThat(r.replyFor("b@example.test").toString())
                .contains("STARTTLS refused: 454 4.7.0 TLS not available due to local problem");
        assertThat(anyMail()).isFalse();
    }

    @Test
    void requiredTlsNotOfferedDefersWithoutSendingAnythingInClear() {
        DeliveryResult r = deliver(agent, host(TlsPolicy.ENCRYPT));

        assertThat(r.deferred()).hasSize(2);
        SmtpReply reply = r.replyFor("b@example.test");
        assertThat(reply.code()).isEqualTo(451);
        assertThat(reply.enhanced()).isEqualTo("4.7.4");
        assertThat(reply.toString()).contains("TLS is required, but was not offered by mx.test[127.0.0.1]:"
                + server.port());
        assertThat(anyMail()).isFalse();
        assertThat(server.messages()).isEmpty();
        assertThat(agent.idleConnections(host(TlsPolicy.ENCRYPT))).isZero();
        assertThat(logLines()).allSatisfy(l -> assertThat(l).contains("relay=none", "dsn=4.7.4", "status=deferred"));
    }

    @Test
    void requiredTlsWithFailedHandshakeDefersAndIsNotRetriedInClear() {
        server.breakTlsHandshake();

        DeliveryResult r = deliver(agent, host(TlsPolicy.ENCRYPT));

        assertThat(r.deferred()).hasSize(2);
        assertThat(r.replyFor("c@example.test").enhanced()).isEqualTo("4.7.5");
        assertThat(r.replyFor("c@example.test").toString()).contains("Cannot start TLS with mx.test[127.0.0.1]:");
        assertThat(server.connectionCount()).isEqualTo(1);
        assertThat(anyMail()).isFalse();
    }

    @Test
    void requiredTlsOfferedDeliversOverTls() {
        server.offerStartTls();

        DeliveryResult r = deliver(agent, host(TlsPolicy.ENCRYPT));

        assertThat(r.delivered()).hasSize(2);
        assertThat(server.messages().get(0).overTls()).isTrue();
        assertThat(server.messages().get(0).content()).isEqualTo(MESSAGE);
    }

    @Test
    void requiredTlsTriesTheNextCandidateBeforeDeferring() throws Exception {
        try (ScriptedSmtpServer secure = ScriptedSmtpServer.start("PIPELINING").offerStartTls()) {
            MailHost second = new MailHost("mx2.test", InetAddress.getLoopbackAddress(), secure.port(),
                    TlsPolicy.ENCRYPT);

            DeliveryResult r = deliver(agent, host(TlsPolicy.ENCRYPT), second);

            assertThat(r.delivered()).hasSize(2);
            assertThat(r.delivered().get(0).relay()).isEqualTo(second.relay());
            assertThat(secure.messages().get(0).overTls()).isTrue();
            assertThat(anyMail()).isFalse();
        }
    }

    @Test
    void policyNoneNeverStartsTls() {
        server.offerStartTls();

        assertThat(deliver(agent, host(TlsPolicy.NONE)).delivered()).hasSize(2);

        assertThat(count("C: STARTTLS")).isZero();
        assertThat(server.messages().get(0).overTls()).isFalse();
    }

    @Test
    void pooledCleartextSessionIsNeverReusedForRequiredTls() {
        assertThat(deliver(agent, host(TlsPolicy.MAY)).delivered()).hasSize(2);
        assertThat(agent.idleConnections(host(TlsPolicy.MAY))).isEqualTo(1); // a cleartext session, kept

        DeliveryResult r = deliver(agent, host(TlsPolicy.ENCRYPT));

        assertThat(r.replyFor("b@example.test").enhanced()).isEqualTo("4.7.4");
        assertThat(server.connectionCount()).isEqualTo(2); // a session of its own, checked, then QUIT
        assertThat(server.messages()).hasSize(1);
        assertThat(count("C: MAIL FROM:<a@example.test>")).isEqualTo(1);
    }

    @Test
    void tlsSessionsAreReusedUnderTheirPolicy() {
        server.offerStartTls();

        deliver(agent, host(TlsPolicy.ENCRYPT));
        deliver(agent, host(TlsPolicy.ENCRYPT));

        assertThat(server.connectionCount()).isEqualTo(1);
        assertThat(server.messages()).hasSize(2).allSatisfy(m -> assertThat(m.overTls()).isTrue());
        assertThat(logLines()).hasSize(4).allSatisfy(l -> assertThat(l).contains(" tls=yes "));
    }

    @Test
    void verifyAcceptsATrustedCertificateNamingTheHost() throws Exception {
        TestCertificates.Identity mx = TestCertificates.selfSigned("mx.test");
        server.offerStartTls(mx.serverContext());
        try (SmtpDeliveryAgent verifying = agent(SmtpClientSettings.defaults("caravan.test")
                .withVerifyTrust(mx.trustingContext()))) {
            DeliveryResult r = deliver(verifying, host(TlsPolicy.VERIFY));

            assertThat(r.delivered()).hasSize(2);
            assertThat(server.messages().get(0).overTls()).isTrue();
        }
    }

    @Test
    void verifyRefusesACertificateForAnotherName() throws Exception {
        TestCertificates.Identity other = TestCertificates.selfSigned("other.test");
        server.offerStartTls(other.serverContext());
        try (SmtpDeliveryAgent verifying = agent(SmtpClientSettings.defaults("caravan.test")
                .withVerifyTrust(other.trustingContext()))) {
            DeliveryResult r = deliver(verifying, host(TlsPolicy.VERIFY));

            assertThat(r.deferred()).hasSize(2);
            assertThat(r.replyFor("b@example.test").enhanced()).isEqualTo("4.7.5");
            assertThat(anyMail()).isFalse();
        }
    }

    @Test
    void verifyRefusesAnUntrustedCertificateThatEncryptAccepts() {
        server.offerStartTls(TestCertificates.selfSigned("mx.test").serverContext());

        DeliveryResult verified = deliver(agent, host(TlsPolicy.VERIFY)); // JDK trust store: self-signed is not in it
        assertThat(verified.replyFor("b@example.test").enhanced()).isEqualTo("4.7.5");
        assertThat(anyMail()).isFalse();

        assertThat(deliver(agent, host(TlsPolicy.ENCRYPT)).delivered()).hasSize(2);
    }

    @Test
    void verifyTrustsTheOperatorsCaFileInsteadOfTheJdkStore(@TempDir Path dir) throws Exception {
        TestCertificates.Identity mx = TestCertificates.selfSigned("mx.test");
        server.offerStartTls(mx.serverContext());
        Path pem = dir.resolve("ca.pem");
        Files.writeString(pem, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(mx.certificate().getEncoded())
                + "\n-----END CERTIFICATE-----\n", StandardCharsets.US_ASCII);
        try (SmtpDeliveryAgent verifying = agent(SmtpClientSettings.defaults("caravan.test")
                .withVerifyTrust(TrustAnchors.load(pem)))) {
            assertThat(deliver(verifying, host(TlsPolicy.VERIFY)).delivered()).hasSize(2);
        }

        Files.writeString(pem, "not a certificate\n", StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> TrustAnchors.load(pem)).hasMessageContaining("cannot read CA certificates from " + pem);
    }
}
