package org.caravan.smtp;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * What the listener does about clients that misbehave the way spam bots and address harvesters
 * do, after Postfix (smtpd_soft_error_limit, smtpd_error_sleep_time, smtpd_forbid_unauth_pipelining,
 * postscreen's pregreet test). The hard error limit is {@link SmtpServerConfig#maxErrors()}.
 *
 * @param softErrorLimit   refused commands (4xx/5xx, refused RCPTs included) after which each further
 *                         refusal is answered only after {@code errorSleep}
 * @param errorSleep       that wait; zero answers at once
 * @param forbidEarlyInput a command sent before the reply to the one before it, while PIPELINING
 *                         (RFC 2920) is not in effect (before EHLO, after HELO), gets 554 5.5.0 and
 *                         the connection closes
 * @param pregreetWait     on the MTA listener the greeting waits this long; a client that talks
 *                         before it gets 554 5.5.0 and the connection closes; zero greets at once
 * @param exempt           clients none of this applies to except the hard error limit (mynetworks)
 */
public record ClientChecks(int softErrorLimit, Duration errorSleep, boolean forbidEarlyInput, Duration pregreetWait,
                           Predicate<InetAddress> exempt) {
    /** Postfix's smtpd_soft_error_limit. */
    public static final int DEFAULT_SOFT_ERROR_LIMIT = 10;
    /** Postfix's smtpd_error_sleep_time. */
    public static final Duration DEFAULT_ERROR_SLEEP = Duration.ofSeconds(1);
    /** Short beside postscreen's 6 s: long enough for a bot that does not wait, cheap for a real MTA. */
    public static final Duration DEFAULT_PREGREET_WAIT = Duration.ofSeconds(1);
    /** Exempts no client. */
    public static final Predicate<InetAddress> NOBODY = address -> false;
    /** For a bare listener (tests): no pregreet wait, nobody exempt; the router sets both from its settings. */
    public static final ClientChecks DEFAULTS = new ClientChecks(DEFAULT_SOFT_ERROR_LIMIT, DEFAULT_ERROR_SLEEP, true,
            Duration.ZERO, NOBODY);

    public ClientChecks {
        Objects.requireNonNull(errorSleep, "errorSleep");
        Objects.requireNonNull(pregreetWait, "pregreetWait");
        Objects.requireNonNull(exempt, "exempt");
        if (softErrorLimit < 0 || errorSleep.isNegative() || pregreetWait.isNegative()) {
            throw new IllegalArgumentException("client checks must not be negative");
        }
    }

    /** Whether the checks apply to {@code client} (null, as in some tests: they do). */
    public boolean appliesTo(InetAddress client) {
        return client == null || !exempt.test(client);
    }

    public ClientChecks withErrorSleep(Duration v) {
        return new ClientChecks(softErrorLimit, v, forbidEarlyInput, pregreetWait, exempt);
    }

    public ClientChecks withExempt(Predicate<InetAddress> v) {
        return new ClientChecks(softErrorLimit, errorSleep, forbidEarlyInput, pregreetWait, v);
    }
}
