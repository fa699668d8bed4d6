package org.caravan.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.caravan.directory.Directory;
import org.caravan.directory.DirectorySource;
import org.caravan.directory.Forward;
import org.caravan.directory.Mailbox;
import org.caravan.directory.MailingList;
import org.caravan.mail.Addresses;
import org.caravan.mail.ExpnRequest;
import org.caravan.mail.MailboxParser;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.VrfyRequest;

/**
 * What VRFY (RFC 5321 §3.5.1) and EXPN (§3.5.2) disclose. Each has a mode: {@code off} never
 * answers from the directory, {@code trusted} (the default) answers clients in mynetworks or
 * authenticated ones, {@code on} answers everyone. A client that gets no answer hears 252 for
 * VRFY, never a fake 250 or 550 (§3.5.3, §7.3); EXPN answers 252 to the untrusted and 502 when
 * off. EXPN expands lists and aliases, by full address or, like VRFY, by a bare local part. The
 * answer is in UTF-8 only when the client gave the SMTPUTF8 parameter (RFC 6531 §3.7.4).
 */
public final class DisclosurePolicy {
    /** Who may see directory data through VRFY or EXPN. */
    public enum Mode { OFF, TRUSTED, ON }

    private final DirectorySource directory;
    private final ClientNetworks trusted;
    private final Mode vrfy;
    private final Mode expn;

    public DisclosurePolicy(DirectorySource directory, ClientNetworks trusted, Mode vrfy, Mode expn) {
        this.directory = directory;
        this.trusted = trusted;
        this.vrfy = vrfy;
        this.expn = expn;
    }

    public SmtpReply vrfy(VrfyRequest request) {
        if (!allowed(vrfy, request.session())) {
            return Replies.CANNOT_VRFY;
        }
        return inCharset(verify(stripBrackets(request.argument())), request.smtpUtf8());
    }

    private SmtpReply verify(String argument) {
        Directory d = directory.current();
        if (argument.indexOf('@') > 0) {
            String address = Addresses.normalize(argument);
            Optional<Forward> moved = d.forward(address);
            if (moved.isPresent()) {
                // §3.5.1 / §3.4: a moved user is verified with the pointer, forwarded or not.
                return moved.get().relay() ? PolicyReplies.willForward(moved.get().to())
                        : PolicyReplies.userNotLocal(moved.get().to());
            }
            if (d.alias(address).isPresent() || d.list(address).isPresent()) {
                return SmtpReply.of(250, "2.1.5", "<" + address + ">");
            }
            return d.mailbox(address).map(DisclosurePolicy::verified)
                    .orElse(Replies.NO_SUCH_USER.withText("<" + address + ">: No such user here"));
        }
        // A user name or part of a full name (§3.5.1): one match verifies, several are ambiguous.
        String wanted = argument.toLowerCase(Locale.ROOT);
        List<Mailbox> matches = new ArrayList<>();
        for (Mailbox m : d.mailboxes().values()) {
            String local = Addresses.localPartOf(m.address());
            if (local.equals(wanted) || (m.name() != null && m.name().toLowerCase(Locale.ROOT).contains(wanted))) {
                matches.add(m);
            }
        }
        if (matches.size() == 1) {
            return verified(matches.get(0));
        }
        if (matches.isEmpty()) {
            return Replies.NO_SUCH_USER.withText(argument + ": No such user here");
        }
        List<String> lines = new ArrayList<>();
        lines.add("Ambiguous; possibilities are");
        matches.forEach(m -> lines.add(display(m)));
        return new SmtpReply(Replies.AMBIGUOUS.code(), Replies.AMBIGUOUS.enhanced(), lines);
    }

    public SmtpReply expn(ExpnRequest request) {
        if (expn == Mode.OFF) {
            return Replies.COMMAND_NOT_IMPLEMENTED.withText("EXPN is disabled");
        }
        if (!allowed(expn, request.session())) {
            return Replies.CANNOT_VRFY.withText("Cannot EXPN, but will accept mail for deliverable addresses");
        }
        return inCharset(expand(stripBrackets(request.argument())), request.smtpUtf8());
    }

    /** A list's members or an alias's targets; a bare local part is looked up in every local domain, as VRFY does. */
    private SmtpReply expand(String argument) {
        Directory d = directory.current();
        List<String> candidates = new ArrayList<>();
        if (argument.indexOf('@') > 0) {
            candidates.add(Addresses.normalize(argument));
        } else {
            for (String domain : d.domains()) {
                candidates.add(Addresses.normalize(argument + "@" + domain));
            }
        }
        List<String> expandable = candidates.stream()
                .filter(a -> d.list(a).isPresent() || d.alias(a).isPresent()).toList();
        if (expandable.isEmpty()) {
            return Replies.NO_SUCH_USER.withText(argument + ": not a mailing list or alias");
        }
        if (expandable.size() > 1) {
            List<String> lines = new ArrayList<>();
            lines.add("Ambiguous; possibilities are");
            expandable.forEach(a -> lines.add("<" + a + ">"));
            return new SmtpReply(Replies.AMBIGUOUS.code(), Replies.AMBIGUOUS.enhanced(), lines);
        }
        String address = expandable.get(0);
        List<String> members = d.list(address).map(MailingList::members)
                .orElseGet(() -> d.alias(address).orElseThrow().targets());
        // §3.5.2: one line per member, a full name where the directory has one.
        List<String> lines = new ArrayList<>();
        for (String member : members) {
            lines.add(d.mailbox(member).map(DisclosurePolicy::display).orElse("<" + member + ">"));
        }
        if (lines.isEmpty()) {
            lines.add("<" + address + "> has no members");
        }
        return new SmtpReply(250, "2.1.5", lines);
    }

    /**
     * RFC 6531 §3.7.4.2: without the SMTPUTF8 parameter the answer must be ASCII. A non-ASCII full
     * name is left out ({@code Name <addr>} becomes {@code <addr>}); a non-ASCII address (or any
     * other non-ASCII line) turns the answer into 553 5.6.7.
     */
    private static SmtpReply inCharset(SmtpReply reply, boolean smtpUtf8) {
        if (smtpUtf8 || reply.lines().stream().allMatch(MailboxParser::isAscii)) {
            return reply;
        }
        List<String> lines = new ArrayList<>();
        for (String line : reply.lines()) {
            int open = line.lastIndexOf(" <");
            String ascii = MailboxParser.isAscii(line) ? line
                    : open > 0 && line.endsWith(">") && MailboxParser.isAscii(line.substring(open)) ? line.substring(open + 1)
                    : null;
            if (ascii == null) {
                return Replies.NON_ASCII_NEEDS_SMTPUTF8;
            }
            lines.add(ascii);
        }
        return new SmtpReply(reply.code(), reply.enhanced(), lines);
    }

    private boolean allowed(Mode mode, org.caravan.mail.SessionInfo session) {
        return switch (mode) {
            case OFF -> false;
            case ON -> true;
            case TRUSTED -> session.authenticatedUser() != null || trusted.contains(session.client());
        };
    }

    private static SmtpReply verified(Mailbox m) {
        return SmtpReply.of(250, "2.1.5", display(m));
    }

    /** "Full Name <local@domain>" as in RFC 5321 §3.5.1's examples. */
    private static String display(Mailbox m) {
        return m.name() == null || m.name().isBlank() ? "<" + m.address() + ">" : m.name() + " <" + m.address() + ">";
    }

    private static String stripBrackets(String argument) {
        String a = argument.trim();
        return a.startsWith("<") && a.endsWith(">") ? a.substring(1, a.length() - 1) : a;
    }
}
