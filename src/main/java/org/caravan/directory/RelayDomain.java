package org.caravan.directory;

import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

import org.caravan.mail.Addresses;

/**
 * A remote domain Caravan accepts mail for from anyone and relays on to its transport entry, as
 * Postfix's {@code relay_domains}: a backup MX, or the inbound gateway of an internal server.
 * With a list of recipients only those are accepted (Postfix's {@code relay_recipient_maps}); with
 * {@code callout} each recipient is asked of the next hop at RCPT time (Postfix's
 * {@code reject_unverified_recipient}); either way mail for an unknown user is refused at RCPT
 * instead of bounced later (no backscatter).
 *
 * @param domain     the domain, lower case
 * @param recipients the addresses accepted, lower case; null for any address in the domain
 * @param callout    each recipient is verified with the next hop (recipients is then null)
 */
public record RelayDomain(String domain, Set<String> recipients, boolean callout) {

    public RelayDomain {
        domain = Addresses.normalize(Objects.requireNonNull(domain, "domain"));
        recipients = recipients == null ? null
                : recipients.stream().map(Addresses::normalize).collect(Collectors.toUnmodifiableSet());
        if (callout && recipients != null) {
            throw new IllegalArgumentException("a relay domain verifies by callout or by a list, not both");
        }
    }

    public RelayDomain(String domain, Set<String> recipients) {
        this(domain, recipients, false);
    }

    /** Whether mail for {@code address} (in this domain) is accepted. */
    public boolean accepts(String address) {
        return recipients == null || recipients.contains(Addresses.normalize(address));
    }
}
