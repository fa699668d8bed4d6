package org.caravan.gateway;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.caravan.mail.Addresses;
import org.caravan.mail.MailboxParser;
import org.caravan.mail.RecipientDsn;

/**
 * The envelope of mail from another system, as MAIL FROM and RCPT TO would have given it: the
 * sender ("" for the null reverse-path), the recipients in order, MAIL parameters (RET, ENVID)
 * and per recipient its DSN parameters (NOTIFY, ORCPT). Built only through {@link #of}, which
 * refuses what SMTP syntax would refuse.
 */
public record InboundEnvelope(String sender, List<String> recipients, Map<String, String> mailParams,
        Map<String, Map<String, String>> rcptParams) {

    /** The envelope is unusable; the message names the problem (an HTTP 400, a rejected JMS message). */
    public static final class InvalidEnvelope extends IllegalArgumentException {
        public InvalidEnvelope(String message) {
            super(message);
        }
    }

    public InboundEnvelope {
        recipients = List.copyOf(recipients);
        mailParams = Map.copyOf(mailParams);
        rcptParams = Map.copyOf(rcptParams);
    }

    /**
     * @param sender     envelope sender; "" or "<>" for the null reverse-path
     * @param recipients at least one, each local@domain
     * @param ret        RFC 3461 RET (FULL or HDRS), null or blank for none
     * @param envid      RFC 3461 ENVID as text (not xtext), null or blank for none
     * @param notify     per recipient its NOTIFY list (e.g. "FAILURE,DELAY"); recipients not named get the default
     * @param maxRecipients caravan.smtp.max-recipients
     */
    public static InboundEnvelope of(String sender, List<String> recipients, String ret, String envid,
            Map<String, String> notify, int maxRecipients) {
        return of(sender, recipients, ret, envid, notify, maxRecipients, UnaryOperator.identity());
    }

    /**
     * As {@link #of(String, List, String, String, Map, int)}, each address (sender and recipients,
     * also where {@code notify} names them) first put through {@code translate}: mail from a
     * gateway's target system, whose addresses become RFC 5321 ones.
     */
    public static InboundEnvelope of(String sender, List<String> recipients, String ret, String envid,
            Map<String, String> notify, int maxRecipients, UnaryOperator<String> translate) {
        String from = sender == null ? "" : sender.strip();
        if (from.equals("<>")) {
            from = "";
        }
        if (!from.isEmpty()) {
            from = translate.apply(from);
        }
        if (!from.isEmpty() && !Addresses.isValidMailbox(from)) {
            throw new InvalidEnvelope("sender '" + from + "' is not an address local@domain");
        }
        List<String> to = new ArrayList<>();
        for (String r : recipients) {
            String rcpt = r == null ? "" : translate.apply(r.strip());
            if (!Addresses.isValidMailbox(rcpt)) {
                throw new InvalidEnvelope("recipient '" + rcpt + "' is not an address local@domain");
            }
            if (!to.contains(rcpt)) {
                to.add(rcpt);
            }
        }
        if (to.isEmpty()) {
            throw new InvalidEnvelope("no recipient");
        }
        if (to.size() > maxRecipients) {
            throw new InvalidEnvelope(to.size() + " recipients, more than the limit of " + maxRecipients);
        }
        Map<String, String> mail = new LinkedHashMap<>();
        if (ret != null && !ret.isBlank()) {
            String r = ret.strip().toUpperCase(Locale.ROOT);
            if (!r.equals("FULL") && !r.equals("HDRS")) {
                throw new InvalidEnvelope("ret must be FULL or HDRS, not '" + ret + "'");
            }
            mail.put("RET", r);
        }
        if (envid != null && !envid.isBlank()) {
            mail.put("ENVID", org.caravan.mail.Xtext.encode(envid.strip()));
        }
        boolean utf8 = !MailboxParser.isAscii(from) || to.stream().anyMatch(a -> !MailboxParser.isAscii(a));
        if (utf8) {
            mail.put("SMTPUTF8", "");
        }
        Map<String, Map<String, String>> rcpt = new LinkedHashMap<>();
        notify.forEach((given, value) -> {
            String recipient = translate.apply(given.strip());
            if (!to.contains(recipient)) {
                throw new InvalidEnvelope("notify names '" + recipient + "', which is not a recipient");
            }
            try {
                RecipientDsn.parseNotify(value);
            } catch (IllegalArgumentException e) {
                throw new InvalidEnvelope("notify for " + recipient + ": " + e.getMessage());
            }
            rcpt.put(recipient, Map.of("NOTIFY", value.toUpperCase(Locale.ROOT)));
        });
        return new InboundEnvelope(from, to, mail, rcpt);
    }

    /** The same envelope with BODY=8BITMIME, for content that holds 8-bit octets. */
    InboundEnvelope eightBit() {
        Map<String, String> mail = new LinkedHashMap<>(mailParams);
        mail.put("BODY", "8BITMIME");
        return new InboundEnvelope(sender, recipients, mail, rcptParams);
    }
}
