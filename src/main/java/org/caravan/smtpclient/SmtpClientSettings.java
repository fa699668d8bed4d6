package org.caravan.smtpclient;

import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * SMTP client knobs. Defaults follow Postfix: connect 30 s (smtp_connect_timeout), 300 s per
 * command (smtp_helo/mail/rcpt_timeout, RFC 5321 §4.5.3.2 minimums of 5 min); idle connections
 * are kept ~30 s for reuse (smtp_connection_cache_time_limit is 2 s in Postfix, we batch less).
 *
 * <p>{@code verifyTrust}: the trust anchors a {@link TlsPolicy#VERIFY} next hop's certificate chain
 * must lead to; null for the JDK's trust store (Postfix smtp_tls_CAfile). The other policies
 * check no certificate.
 */
public record SmtpClientSettings(String localHostname, Duration connectTimeout, Duration commandTimeout,
                                 int maxIdlePerHost, Duration idleTimeout, SSLContext verifyTrust) {

    public SmtpClientSettings {
        Objects.requireNonNull(localHostname, "localHostname");
        if (localHostname.isBlank()) {
            throw new IllegalArgumentException("localHostname must not be blank (EHLO argument)");
        }
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (maxIdlePerHost < 0) {
            throw new IllegalArgumentException("maxIdlePerHost < 0");
        }
    }

    public static SmtpClientSettings defaults(String localHostname) {
        return new SmtpClientSettings(localHostname, Duration.ofSeconds(30), Duration.ofSeconds(300), 4,
                Duration.ofSeconds(30), null);
    }

    public SmtpClientSettings withTimeouts(Duration connect, Duration command) {
        return new SmtpClientSettings(localHostname, connect, command, maxIdlePerHost, idleTimeout, verifyTrust);
    }

    public SmtpClientSettings withPool(int maxIdle, Duration idle) {
        return new SmtpClientSettings(localHostname, connectTimeout, commandTimeout, maxIdle, idle, verifyTrust);
    }

    /** Trust anchors for {@link TlsPolicy#VERIFY} instead of the JDK's trust store. */
    public SmtpClientSettings withVerifyTrust(SSLContext trust) {
        return new SmtpClientSettings(localHostname, connectTimeout, commandTimeout, maxIdlePerHost, idleTimeout, trust);
    }
}
