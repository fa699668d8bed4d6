package org.caravan.runtime;

import java.time.Duration;

/**
 * The resource limits of the SMTP listeners, as set by caravan.smtp.* (README, "Limits"). The
 * defaults and the RFC minimums live with the classes that enforce them
 * ({@link org.caravan.smtp.SmtpServerConfig}, {@link org.caravan.smtp.ConnectionLimiter}).
 */
public record SmtpLimits(
        long maxMessageSize,
        int maxRecipients,
        int maxCommandLine,
        int maxTextLine,
        Duration commandTimeout,
        Duration dataTimeout,
        Duration decisionTimeout,
        int maxErrors,
        int maxJunkCommands,
        int maxConnections,
        int maxConnectionsPerClient,
        org.caravan.smtp.ClientChecks clientChecks) {
}
