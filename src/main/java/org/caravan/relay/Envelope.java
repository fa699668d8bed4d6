package org.caravan.relay;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the relay needs besides the content bytes: the queue id (for logs), the envelope sender
 * ("" is the null reverse-path, RFC 5321 §4.5.5), the recipients for this next hop, the arrival
 * time (delay in logs) and the MAIL BODY type the client declared ("8BITMIME", "7BIT" or null).
 */
public record Envelope(String queueId, String sender, List<String> recipients, Instant arrival, String bodyType) {

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
