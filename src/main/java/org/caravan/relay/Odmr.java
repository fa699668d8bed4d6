package org.caravan.relay;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Predicate;

import org.caravan.mail.Addresses;
import org.caravan.mail.AtrnRequest;
import org.caravan.mail.SmtpReply;
import org.caravan.mail.TurnedConnection;
import org.caravan.nexthop.Hold;
import org.caravan.nexthop.TransportEntry;
import org.caravan.smtpclient.TurnedSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provider side of On-Demand Mail Relay (RFC 2645): the answer to an authenticated customer's
 * ATRN (or TURN), and then the delivery of its domains' held mail over the turned connection.
 * <ol>
 * <li>{@link #answer}: each domain must be held {@code hold: odmr} with this user among its
 *     customers (else 450), and mail must wait for them (else 453); 250 grants the session.</li>
 * <li>{@link #take}: the session has turned. On a worker thread an SMTP client session opens on
 *     the connection (the customer's 220, our EHLO), the domains are registered in
 *     {@link HeldDomains} as turned to it, and the broker hands their held mail out now. The
 *     relay stage delivers each message over it, with the usual outcomes: delivered, bounced
 *     (the customer's 5xx) or deferred (a 4xx, a lost connection), which waits for the next ATRN.</li>
 * <li>Once every released message has had its transaction, or nothing happened for
 *     {@link #IDLE}, or the connection is lost: the domains are unregistered, then QUIT.</li>
 * </ol>
 */
public final class Odmr implements TurnedConnection.Taker, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("caravan.odmr");
    /** How long a turned connection may wait for the next message before we end it. */
    static final Duration IDLE = Duration.ofSeconds(10);
    /** A grant not taken within this (the session was closed instead of turned) is forgotten. */
    private static final Duration GRANT_LIFETIME = Duration.ofMinutes(1);

    /** Opens our client session on a turned connection (the SMTP client's {@code turn}). */
    public interface Opener {
        TurnedSession open(Socket socket, String relay, String tlsProtocol, String tlsCipher) throws Exception;
    }

    private record Grant(String user, List<String> domains, Instant at) {
    }

    private final Function<String, Optional<TransportEntry>> transport;
    private final Function<String, Set<String>> domainsOf;
    private final HeldDomains held;
    private final Etrn.HeldMail broker;
    private final Opener opener;
    private final Clock clock;
    private final Map<String, Grant> grants = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "caravan-odmr");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param transport the directory's transport map (which domains are held, for whom)
     * @param domainsOf the on-demand domains a user may take (ATRN without domains, TURN)
     */
    public Odmr(Function<String, Optional<TransportEntry>> transport, Function<String, Set<String>> domainsOf,
            HeldDomains held, Etrn.HeldMail broker, Opener opener, Clock clock) {
        this.transport = transport;
        this.domainsOf = domainsOf;
        this.held = held;
        this.broker = broker;
        this.opener = opener;
        this.clock = clock;
    }

    /** RFC 2645 §4.2: 250 (the connection turns), 450 access denied, 453 no mail, 530 not authenticated. */
    public SmtpReply answer(AtrnRequest request) {
        String user = request.session().authenticatedUser();
        if (user == null) {
            return SmtpReply.of(530, "5.7.0", "Authentication required");
        }
        List<String> domains = request.domains().isEmpty() ? List.copyOf(domainsOf.apply(user)) : request.domains();
        if (domains.isEmpty()) {
            return denied(request, user, "no on-demand domain is held for you");
        }
        for (String domain : domains) {
            Hold hold = transport.apply(domain).map(TransportEntry::hold).orElse(null);
            if (hold == null || !hold.releasableBy(user)) {
                return denied(request, user, domain + " is not yours to take");
            }
            if (held.turnedFor(domain) != null) {
                return SmtpReply.of(450, "4.3.0", "Mail for " + domain + " is being taken on another connection");
            }
        }
        long waiting;
        try {
            waiting = broker.count(filter(domains), matches(domains));
        } catch (Exception e) {
            LOG.warn("{} {} from {}: cannot ask the broker: {}", request.verb(), domains, user, e.toString());
            return SmtpReply.of(451, "4.3.0", "Unable to look for your mail now, try again later");
        }
        if (waiting == 0) {
            return SmtpReply.of(453, "4.3.0", "You have no mail");
        }
        Instant now = clock.instant();
        grants.values().removeIf(g -> g.at().isBefore(now.minus(GRANT_LIFETIME)));
        grants.put(request.session().sessionId(), new Grant(user, domains, now));
        LOG.info("{} {} from {}: {} messages waiting, reversing the connection", request.verb(), domains, user, waiting);
        return SmtpReply.of(250, "2.0.0", "OK, now reversing the connection");
    }

    private static SmtpReply denied(AtrnRequest request, String user, String why) {
        LOG.info("{} {} from {} refused: {}", request.verb(), request.domains(), user, why);
        return SmtpReply.of(450, "4.7.1", "Access denied to you: " + why);
    }

    /** Held messages of {@code domains}; the domains are checked names, safe inside the quotes. */
    private static String filter(List<String> domains) {
        return "CaravanNextHop IN ('" + String.join("','", domains) + "')";
    }

    private static Predicate<Map<String, Object>> matches(List<String> domains) {
        return m -> domains.contains(Addresses.normalize(String.valueOf(m.get("CaravanNextHop"))));
    }

    @Override
    public void take(TurnedConnection connection) {
        Grant grant = grants.remove(connection.session().sessionId());
        if (grant == null) {
            close(connection.socket()); // cannot happen: a session turns only after our 250
            return;
        }
        workers.execute(() -> serve(grant, connection));
    }

    private void serve(Grant grant, TurnedConnection connection) {
        InetSocketAddress client = connection.session().client();
        String relay = connection.session().heloName() + "["
                + (client == null ? "unknown" : client.getAddress().getHostAddress() + "]:" + client.getPort());
        TurnedSession session;
        try {
            session = opener.open(connection.socket(), relay, connection.tlsProtocol(), connection.tlsCipher());
        } catch (Exception e) {
            LOG.warn("ATRN {} from {}: no SMTP session on the turned connection: {}", grant.domains(), grant.user(),
                    e.toString());
            close(connection.socket());
            return;
        }
        held.turn(grant.domains(), session);
        try {
            long released = broker.deliverNow(filter(grant.domains()), matches(grant.domains()));
            session.awaitTransactions(released, IDLE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // shutting down: what is left waits for the next ATRN
        } catch (Exception e) {
            LOG.warn("ATRN {} from {}: cannot hand out the held mail: {}", grant.domains(), grant.user(), e.toString());
        } finally {
            held.unturn(grant.domains(), session); // mail that comes now waits again
            session.close();
        }
        LOG.info("ATRN {} from {}: turned connection ended after {} transactions", grant.domains(), grant.user(),
                session.transactions());
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (java.io.IOException e) {
            // gone already
        }
    }

    /** Ends the turned connections: each QUITs once its transaction in progress is over. */
    @Override
    public void close() {
        workers.shutdownNow();
    }
}
