package org.caravan.relay;

import java.time.Duration;
import java.util.Objects;

/**
 * SMTP client knobs. Defaults follow Postfix: connect 30 s (smtp_connect_timeout), 300 s per
 * command (smtp_helo/mail/rcpt_timeout, RFC 5321 §4.5.3.2 minimums of 5 min); idle connections
 * are kept ~30 s for reuse (smtp_connection_cache_time_limit is 2 s in Postfix, we batch less).
 */
public record SmtpClientSettings(String localHostname, Duration connectTimeout, Duration commandTimeout,
                                 int maxIdlePerHost, Duration idleTimeout) {

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
                Duration.ofSeconds(30));
    }

    public SmtpClientSettings withTimeouts(Duration connect, Duration command) {
        return new SmtpClientSettings(localHostname, connect, command, maxIdlePerHost, idleTimeout);
    }

    public SmtpClientSettings withPool(int maxIdle, Duration idle) {
        return new SmtpClientSettings(localHostname, connectTimeout, commandTimeout, maxIdle, idle);
    }
}
