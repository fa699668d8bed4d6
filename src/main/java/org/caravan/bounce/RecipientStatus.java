package org.caravan.bounce;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One recipient's block in a delivery status notification (RFC 3464 §2.3).
 *
 * @param finalRecipient    the address; the builder writes {@code rfc822; <address>}
 * @param originalRecipient the ORCPT value as received ({@code rfc822;addr}, xtext-decoded) or null
 * @param action            what happened
 * @param status            enhanced status code such as {@code 5.1.1} (RFC 3463)
 * @param remoteMta         host name of the next hop that answered, or null
 * @param diagnosticCode    the remote reply text ({@code 550 5.1.1 No such user}) or our own reason, or null;
 *                          written as {@code smtp; …} with control characters replaced by spaces
 * @param lastAttempt       or null
 * @param willRetryUntil    only for {@link Action#DELAYED}, else null
 */
public record RecipientStatus(
        String finalRecipient,
        String originalRecipient,
        Action action,
        String status,
        String remoteMta,
        String diagnosticCode,
        Instant lastAttempt,
        Instant willRetryUntil) {

    private static final Pattern STATUS = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");

    public RecipientStatus {
        Objects.requireNonNull(finalRecipient, "finalRecipient");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(status, "status");
        if (!STATUS.matcher(status).matches()) {
            throw new IllegalArgumentException("not an RFC 3463 status code: " + status);
        }
        if (willRetryUntil != null && action != Action.DELAYED) {
            throw new IllegalArgumentException("willRetryUntil is only for DELAYED, not " + action);
        }
    }
}
