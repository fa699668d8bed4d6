package org.caravan.smtpclient;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import org.caravan.mail.RecipientDsn;

/**
 * What the relay needs besides the content bytes: the queue id (for logs), the envelope sender
 * ("" is the null reverse-path, RFC 5321 §4.5.5), the recipients for this next hop, the arrival
 * time (delay in logs) and the MAIL BODY type the client declared ("8BITMIME", "7BIT" or null).
 *
 * <p>The DSN request (RFC 3461) to pass on to a next hop that offers DSN (§5.2.1): {@code ret}
 * "FULL", "HDRS" or "" (none), {@code envid} decoded ("" if none; xtext-encoded again on the
 * wire) and per recipient its {@link RecipientDsn} (NOTIFY set, ORCPT as received); recipients
 * without an entry have the defaults (no NOTIFY, no ORCPT).
 */
public record Envelope(String queueId, String sender, List<String> recipients, Instant arrival, String bodyType,
                       String ret, String envid, Map<String, RecipientDsn> dsn) {

    public Envelope {
        Objects.requireNonNull(queueId, "queueId");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(arrival, "arrival");
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("no recipients");
        }
        // CR/LF in an address would be command injection (CVE-2025-7962 class); reject, never send.
        checkNoControls(sender);
        recipients.forEach(Envelope::checkNoControls);
        ret = ret == null ? "" : ret.toUpperCase(Locale.ROOT);
        if (!ret.isEmpty() && !ret.equals("FULL") && !ret.equals("HDRS")) {
            throw new IllegalArgumentException("RET must be FULL or HDRS: " + ret);
        }
        envid = envid == null ? "" : envid;
        dsn = dsn == null ? Map.of() : Map.copyOf(dsn);
        for (RecipientDsn d : dsn.values()) {
            // ORCPT goes out as received: "addr-type;xtext", never with a space or control character.
            if (d.orcpt().chars().anyMatch(c -> c <= 0x20 || c == 0x7f)
                    || (!d.orcpt().isEmpty() && d.orcpt().indexOf(';') < 1)) {
                throw new IllegalArgumentException("malformed ORCPT for " + d.recipient());
            }
        }
    }

    public Envelope(String queueId, String sender, List<String> recipients, Instant arrival, String bodyType) {
        this(queueId, sender, recipients, arrival, bodyType, "", "", Map.of());
    }

    /** The same envelope for only {@code some} of its recipients. */
    public Envelope withRecipients(List<String> some) {
        return new Envelope(queueId, sender, some, arrival, bodyType, ret, envid, dsn);
    }

    /** The DSN request for {@code recipient}, or the defaults (no NOTIFY, no ORCPT). */
    public RecipientDsn dsnFor(String recipient) {
        return RecipientDsn.of(dsn, recipient);
    }

    /** True if any DSN parameter was requested (RET, ENVID, or a NOTIFY/ORCPT for some recipient). */
    public boolean hasDsnRequest() {
        return !ret.isEmpty() || !envid.isEmpty()
                || dsn.values().stream().anyMatch(d -> !d.notifyOn().isEmpty() || !d.orcpt().isEmpty());
    }

    private static void checkNoControls(String address) {
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException("control character in envelope address");
            }
        }
    }

    /** True if any address is non-ASCII and so needs SMTPUTF8 at the next hop (RFC 6531 §3.2). */
    public boolean needsSmtpUtf8() {
        return !isAscii(sender) || !recipients.stream().allMatch(Envelope::isAscii);
    }

    private static boolean isAscii(String s) {
        return s.chars().allMatch(c -> c < 0x80);
    }

    public Envelope(String queueId, String sender, List<String> recipients, Instant arrival) {
        this(queueId, sender, recipients, arrival, null);
    }

    public boolean nullSender() {
        return sender.isEmpty() || sender.equals("<>");
    }
}
