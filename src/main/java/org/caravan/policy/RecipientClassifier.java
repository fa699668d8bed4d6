package org.caravan.policy;

import java.util.Objects;

import org.caravan.directory.Addresses;
import org.caravan.directory.Directory;
import org.caravan.directory.DirectorySource;

/**
 * The one place that decides local or remote for a recipient, used both at RCPT time by
 * {@link RecipientPolicy} and at routing time after the message is queued, so the two can never
 * disagree about what "local" means (only a directory reload in between can change the answer).
 *
 * <p>Postmaster (RFC 5321 §4.5.1): every SMTP server must accept "postmaster" (no domain, any
 * case) and postmaster@ each of its domains. postmaster@d goes to the mailbox postmaster@d when
 * the directory has it, otherwise to postmaster@&lt;primary domain&gt; (the first in the
 * directory), and bare "postmaster" goes there too. Delivery to that address works even if the
 * operator forgot to list it, since a Maildir is created on first delivery.
 *
 * <p>Address literals ("user@[192.0.2.1]") are classified as remote with the literal as domain;
 * recognising our own addresses in literals is left for later.
 */
public final class RecipientClassifier {
    /** RFC 5321 §4.5.1: "postmaster" is case-insensitive. */
    private static final String POSTMASTER = "postmaster";

    private final DirectorySource directory;

    public RecipientClassifier(DirectorySource directory) {
        this.directory = Objects.requireNonNull(directory, "directory");
    }

    /**
     * Classifies a recipient given as local@domain or as bare "postmaster".
     *
     * @throws IllegalArgumentException when the recipient has no domain (and is not postmaster)
     *                                  or an empty local part; the SMTP session normally refuses
     *                                  those already at RCPT syntax checking
     */
    public Destination classify(String recipient) {
        Directory d = directory.current();
        String address = Addresses.normalize(recipient);
        if (address.equals(POSTMASTER)) {
            return new Destination.Local(POSTMASTER + "@" + d.primaryDomain());
        }
        String local = Addresses.localPartOf(address);
        String domain = Addresses.domainOf(address);
        if (local.isEmpty() || domain.isEmpty() || address.indexOf('@') < 0) {
            throw new IllegalArgumentException("not a mailbox address: '" + recipient + "'");
        }
        if (!d.isLocalDomain(domain)) {
            return new Destination.Remote(domain);
        }
        if (d.mailbox(address).isPresent()) {
            return new Destination.Local(address);
        }
        if (local.equals(POSTMASTER)) {
            return new Destination.Local(POSTMASTER + "@" + d.primaryDomain());
        }
        return new Destination.NoSuchUser(address);
    }
}
