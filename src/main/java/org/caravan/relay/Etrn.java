package org.caravan.relay;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.caravan.mail.Addresses;
import org.caravan.mail.EtrnRequest;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;
import org.caravan.policy.ClientNetworks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answer to ETRN (RFC 1985): which held domains a node names, whether this client may ask,
 * and starting their delivery at once: the broker moves the held messages to caravan.released,
 * due now instead of at their next retry, where any router attempts them for real once (see
 * {@link HeldDomains}). Repeated ETRNs coalesce: what one released is attempted once, whatever
 * follows.
 * <ul>
 * <li>{@code ETRN example.org}: that held domain;</li>
 * <li>{@code ETRN @example.org}: it and the held domains below it;</li>
 * <li>{@code ETRN #QUEUEID}: one queued message (a Caravan queue id) of a held domain.</li>
 * </ul>
 */
public final class Etrn {
    private static final Logger LOG = LoggerFactory.getLogger("caravan.etrn");
    private static final Pattern QUEUE_ID = Pattern.compile("[0-9A-Z]{17}");

    /**
     * What the broker does for ETRN: release what waits under {@code filter} (Artemis filter
     * syntax; {@code matches} says the same of a message's properties) to caravan.released, due
     * now, and say how many that was.
     */
    public interface HeldMail {
        long deliverNow(String filter, java.util.function.Predicate<java.util.Map<String, Object>> matches)
                throws Exception;

        /** How many messages wait under {@code filter}, without handing them out. */
        long count(String filter, java.util.function.Predicate<java.util.Map<String, Object>> matches) throws Exception;
    }

    private final HeldDomains held;
    private final Supplier<Set<String>> heldDomains;
    private final HeldMail broker;
    private final ClientNetworks trusted;
    private final boolean trustedOnly;

    /** @param heldDomains the transport map's held keys (exact, or {@code *.parent}) */
    public Etrn(HeldDomains held, Supplier<Set<String>> heldDomains, HeldMail broker, ClientNetworks trusted,
            boolean trustedOnly) {
        this.held = held;
        this.heldDomains = heldDomains;
        this.broker = broker;
        this.trusted = trusted;
        this.trustedOnly = trustedOnly;
    }

    public SmtpReply answer(EtrnRequest request) {
        String node = request.argument().strip();
        if (trustedOnly && !mayAsk(request.session())) {
            return notAllowed(node, "ETRN is for trusted clients here");
        }
        if (node.startsWith("#")) {
            return queue(node);
        }
        boolean subdomains = node.startsWith("@");
        String domain = Addresses.normalize(subdomains ? node.substring(1) : node);
        if (!Addresses.isValidDomain(domain)) {
            return SmtpReply.of(501, "5.5.4", "Syntax: ETRN <domain>, @<domain> or #<queue>");
        }
        String filter;
        if (subdomains) {
            boolean any = heldDomains.get().stream().anyMatch(k -> k.equals(domain) || k.endsWith("." + domain));
            if (!any) {
                return notAllowed(node, "no domain held for it here");
            }
            filter = "(CaravanNextHop = '" + domain + "' OR CaravanNextHop LIKE '%." + domain + "') AND " + heldFilter();
        } else {
            if (!held.isHeld(domain)) {
                return notAllowed(node, "no mail is held for it here");
            }
            filter = "CaravanNextHop = '" + domain + "'";
        }
        return start(node, filter, m -> {
            String hop = String.valueOf(m.get("CaravanNextHop")).toLowerCase(Locale.ROOT);
            return (hop.equals(domain) || subdomains && hop.endsWith("." + domain)) && held.isHeld(hop);
        });
    }

    private SmtpReply queue(String node) {
        String queueId = node.substring(1).toUpperCase(Locale.ROOT);
        if (!QUEUE_ID.matcher(queueId).matches()) {
            return notAllowed(node, "not a queue id of this router");
        }
        return start(node, "CaravanQueueId = '" + queueId + "' AND " + heldFilter(),
                m -> queueId.equals(m.get("CaravanQueueId")) && held.isHeld(String.valueOf(m.get("CaravanNextHop"))));
    }

    /**
     * Messages of held domains only: an ETRN for a parent or a queue id never hands out another
     * domain's retries early. Keys are checked domain names, safe inside the quotes.
     */
    private String heldFilter() {
        List<String> terms = new ArrayList<>();
        for (String key : heldDomains.get()) {
            terms.add(key.startsWith("*.") ? "CaravanNextHop LIKE '%" + key.substring(1) + "'"
                    : "CaravanNextHop = '" + key + "'");
        }
        return terms.isEmpty() ? "FALSE" : "(" + String.join(" OR ", terms) + ")";
    }

    /** Hands out now what waits under {@code filter}, and says how much that was. */
    private SmtpReply start(String node, String filter,
            java.util.function.Predicate<java.util.Map<String, Object>> matches) {
        long waiting;
        try {
            waiting = broker.deliverNow(filter, matches);
        } catch (Exception e) {
            LOG.warn("ETRN {}: cannot start its delivery: {}", node, e.toString());
            return SmtpReply.of(458, "4.3.0", "Unable to queue messages for node " + node);
        }
        LOG.info("ETRN {}: {} messages released", node, waiting);
        if (waiting == 0) {
            return SmtpReply.of(251, "2.0.0", "OK, no messages waiting for node " + node);
        }
        return SmtpReply.of(253, "2.0.0", "OK, " + waiting + " pending messages for node " + node + " started");
    }

    private boolean mayAsk(SessionInfo session) {
        return session != null && (session.authenticatedUser() != null || trusted.contains(session.client()));
    }

    private static SmtpReply notAllowed(String node, String why) {
        return SmtpReply.of(459, "4.7.1", "Node " + node + " not allowed: " + why);
    }
}
