package org.caravan.smtpclient;

import java.io.IOException;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;

import org.caravan.mail.SmtpReply;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPAddressSucceededException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Reads per-recipient replies out of what {@code SMTPTransport.sendMessage} threw. With
 * {@code reportsuccess=true} and {@code sendpartial=true} Angus always throws; the shapes are:
 * <ul>
 * <li>{@code SMTPSendFailedException} for "." or "DATA": the DATA-phase reply, its chain holds
 *     one {@code SMTPAddressSucceededException} per accepted RCPT and one
 *     {@code SMTPAddressFailedException} per refused RCPT (RFC 5321 §3.3: the DATA reply covers
 *     exactly the accepted recipients);</li>
 * <li>{@code SendFailedException} "Invalid Addresses": every RCPT refused, chain as above;</li>
 * <li>{@code SMTPSendFailedException} for MAIL FROM: that reply covers every recipient;</li>
 * <li>anything else, or a -1 code (EOF): the connection broke.</li>
 * </ul>
 */
final class TransactionReader {
    /** Replies per recipient, or {@code connectionLost} when the session broke without a usable reply. */
    record Outcome(SmtpReply[] replies, boolean connectionLost, boolean keepConnection) {
    }

    private TransactionReader() {
    }

    static Outcome read(MessagingException thrown, Address[] recipients, SMTPTransport t) {
        Map<Address, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < recipients.length; i++) {
            index.put(recipients[i], i);
        }
        SmtpReply[] replies = new SmtpReply[recipients.length];
        boolean[] accepted = new boolean[recipients.length];
        for (Exception e = thrown.getNextException(); e instanceof MessagingException me; e = me.getNextException()) {
            if (e instanceof SMTPAddressSucceededException s && index.containsKey(s.getAddress())) {
                accepted[index.get(s.getAddress())] = true;
            } else if (e instanceof SMTPAddressFailedException f && index.containsKey(f.getAddress())
                    && validCode(f.getReturnCode())) {
                replies[index.get(f.getAddress())] = RemoteReplies.parse(f.getReturnCode(), f.getMessage());
            }
        }
        if (thrown instanceof SMTPSendFailedException sfe) {
            String cmd = sfe.getCommand() == null ? "" : sfe.getCommand();
            if (!validCode(sfe.getReturnCode())) {
                return lost();
            }
            SmtpReply reply = RemoteReplies.parse(sfe.getReturnCode(), sfe.getMessage());
            if (cmd.equals(".") || cmd.equals("DATA")) {
                for (int i = 0; i < replies.length; i++) {
                    if (accepted[i]) {
                        replies[i] = reply;
                    }
                }
            } else {
                // MAIL FROM (or another whole-transaction command) failed: it speaks for everyone.
                Arrays.fill(replies, reply);
            }
            return complete(replies, sfe.getReturnCode());
        }
        if (!(thrown instanceof SMTPAddressFailedException) && hasNoIoCause(thrown)
                && Arrays.stream(replies).allMatch(r -> r != null)) {
            return complete(replies, t.getLastReturnCode()); // every RCPT refused
        }
        return lost();
    }

    private static Outcome complete(SmtpReply[] replies, int lastCode) {
        for (SmtpReply r : replies) {
            if (r == null) {
                return lost(); // a recipient with no reply means we lost track: be safe, defer
            }
        }
        // 421 means the server is closing the channel (RFC 5321 §3.8): never reuse it.
        return new Outcome(replies, false, lastCode != 421 && lastCode > 0);
    }

    private static Outcome lost() {
        return new Outcome(null, true, false);
    }

    private static boolean validCode(int code) {
        return code >= 200 && code <= 599;
    }

    private static boolean hasNoIoCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IOException) {
                return false;
            }
        }
        return true;
    }
}
