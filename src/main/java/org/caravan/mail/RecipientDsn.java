package org.caravan.mail;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One recipient's DSN request (RFC 3461 §4.1, §4.2), carried in the {@code CaravanDsn} header as
 * one line per recipient: {@code recipient<TAB>NOTIFY<TAB>ORCPT}, both values as the client sent
 * them (NOTIFY upper-cased), empty when absent.
 *
 * @param notifyOn empty when the client gave no NOTIFY; else NEVER alone or some of SUCCESS,
 *               FAILURE, DELAY
 * @param orcpt  the ORCPT parameter as received ("rfc822;" + xtext), or empty
 */
public record RecipientDsn(String recipient, Set<Notify> notifyOn, String orcpt) {

    public enum Notify { NEVER, SUCCESS, FAILURE, DELAY }

    public RecipientDsn {
        notifyOn = notifyOn.isEmpty() ? EnumSet.noneOf(Notify.class) : EnumSet.copyOf(notifyOn);
        orcpt = orcpt == null ? "" : orcpt;
    }

    /** Parses a NOTIFY value (RFC 3461 §4.1): "NEVER", or a comma list of SUCCESS, FAILURE, DELAY. */
    public static Set<Notify> parseNotify(String value) {
        Set<Notify> result = EnumSet.noneOf(Notify.class);
        for (String word : value.toUpperCase(Locale.ROOT).split(",")) {
            result.add(Notify.valueOf(word.trim()));
        }
        if (result.contains(Notify.NEVER) && result.size() > 1) {
            throw new IllegalArgumentException("NEVER cannot be combined: " + value);
        }
        return result;
    }

    /** Failure notices: asked for, or the default when NOTIFY was not given (RFC 3461 §4.1). */
    public boolean wantsFailure() {
        return notifyOn.isEmpty() || notifyOn.contains(Notify.FAILURE);
    }

    /**
     * Delay notices: asked for, or (our choice, as Postfix does) also when NOTIFY was not given.
     * RFC 3461 §4.1 lets the MTA decide in that case.
     */
    public boolean wantsDelay() {
        return notifyOn.isEmpty() || notifyOn.contains(Notify.DELAY);
    }

    public boolean wantsSuccess() {
        return notifyOn.contains(Notify.SUCCESS);
    }

    /** The NOTIFY parameter value to pass on, or empty. */
    public String notifyValue() {
        List<String> words = new ArrayList<>();
        notifyOn.forEach(n -> words.add(n.name()));
        return String.join(",", words);
    }

    /** The original recipient for a report: ORCPT decoded ("rfc822;bob@example.org"), or null. */
    public String originalRecipient() {
        if (orcpt.isEmpty()) {
            return null;
        }
        int semicolon = orcpt.indexOf(';');
        return orcpt.substring(0, semicolon + 1) + Xtext.decode(orcpt.substring(semicolon + 1));
    }

    public static String encode(List<RecipientDsn> list) {
        StringBuilder sb = new StringBuilder();
        for (RecipientDsn d : list) {
            sb.append(d.recipient).append('\t').append(d.notifyValue()).append('\t').append(d.orcpt).append('\n');
        }
        return sb.toString().strip();
    }

    /**
     * Decodes the header, keyed by lower-cased recipient (a local mailbox may be spelt otherwise
     * than the RCPT that reached it); recipients without a line get the defaults.
     */
    public static Map<String, RecipientDsn> decode(String header) {
        Map<String, RecipientDsn> result = new LinkedHashMap<>();
        if (header == null || header.isBlank()) {
            return result;
        }
        for (String line : header.split("\n")) {
            String[] f = line.split("\t", -1);
            Set<Notify> notify = f.length > 1 && !f[1].isEmpty() ? parseNotify(f[1]) : EnumSet.noneOf(Notify.class);
            result.put(f[0].toLowerCase(Locale.ROOT), new RecipientDsn(f[0], notify, f.length > 2 ? f[2] : ""));
        }
        return result;
    }

    /** The DSN request for {@code recipient} in a decoded header, or the defaults. */
    public static RecipientDsn of(Map<String, RecipientDsn> decoded, String recipient) {
        RecipientDsn d = decoded.get(recipient.toLowerCase(Locale.ROOT));
        return d != null ? d : new RecipientDsn(recipient, EnumSet.noneOf(Notify.class), "");
    }
}
