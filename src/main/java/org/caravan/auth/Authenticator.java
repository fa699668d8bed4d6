package org.caravan.auth;

import java.net.InetAddress;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.caravan.directory.Directory;
import org.caravan.directory.DirectorySource;
import org.caravan.directory.Mailbox;
import org.caravan.directory.PasswordHash;
import org.caravan.mail.Addresses;
import org.caravan.mail.AuthRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers AUTH (bean of the authenticate route): are the user name and password right?
 *
 * <p>The user name is the mailbox address, as in the directory (case-insensitive); a bare local
 * part is not accepted, so one login never means two mailboxes. The password is checked against
 * the mailbox's bcrypt hash. An unknown user, or a mailbox without a password, still pays one
 * bcrypt check (against a dummy hash of the same cost as the directory's), so the time taken does
 * not tell which users exist.
 *
 * <p>Replies: 235 2.7.0, 535 5.7.8, or 454 4.7.0 when the client address is held off
 * ({@link ClientAuthFailures}) or the check itself failed. This runs on a Camel worker thread
 * (bcrypt takes a while on purpose), never on a Netty event loop.
 */
public final class Authenticator {
    private static final Logger LOG = LoggerFactory.getLogger(Authenticator.class);

    private final DirectorySource directory;
    private final ClientAuthFailures failures;
    /** One dummy hash per cost factor, made on first use. */
    private final Map<Integer, String> dummies = new ConcurrentHashMap<>();

    public Authenticator(DirectorySource directory, ClientAuthFailures failures) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.failures = Objects.requireNonNull(failures, "failures");
    }

    public SmtpReply authenticate(AuthRequest request) {
        InetAddress client = request.session() == null || request.session().client() == null
                ? null : request.session().client().getAddress();
        if (failures.isBlocked(client)) {
            LOG.info("AUTH refused: client {} is held off after too many failures", client);
            return Replies.AUTH_TEMPORARY_FAILURE;
        }
        boolean ok;
        try {
            ok = check(directory.current(), request.username(), request.password());
        } catch (RuntimeException e) {
            LOG.warn("AUTH check failed for {}: {}", printable(request.username()), e.toString());
            return Replies.AUTH_TEMPORARY_FAILURE; // RFC 4954 §6: 454, the client may try later
        }
        if (ok) {
            LOG.info("AUTH {} {} from {}: success", request.mechanism(), printable(request.username()), client);
            return Replies.AUTH_SUCCESSFUL;
        }
        failures.recordFailure(client);
        LOG.info("AUTH {} {} from {}: invalid credentials", request.mechanism(), printable(request.username()),
                client);
        return Replies.AUTH_INVALID;
    }

    private boolean check(Directory d, String username, String password) {
        Optional<Mailbox> mailbox = username.indexOf('@') > 0
                ? d.mailbox(Addresses.normalize(username)) : Optional.empty();
        String hash = mailbox.map(Mailbox::passwordHash).orElse(null);
        if (hash == null) {
            PasswordHash.matches(dummy(typicalCost(d)), password); // same work as a real check
            return false;
        }
        return PasswordHash.matches(hash, password);
    }

    /** The highest cost in the directory: an unknown user costs what the dearest known one does. */
    private static int typicalCost(Directory d) {
        int cost = 0;
        for (Mailbox m : d.mailboxes().values()) {
            if (m.passwordHash() != null) {
                cost = Math.max(cost, PasswordHash.cost(m.passwordHash()));
            }
        }
        return cost == 0 ? PasswordHash.DEFAULT_COST : cost;
    }

    /** The user name came from the client: no control characters (forged log lines), not too long. */
    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().limit(100).forEach(c -> sb.append(Character.isISOControl(c) ? '?' : Character.toString(c)));
        return sb.length() < s.length() ? sb + "..." : sb.toString();
    }

    private String dummy(int cost) {
        return dummies.computeIfAbsent(cost, c -> PasswordHash.create("no such user".toCharArray(), c));
    }
}
