package org.caravan.directory;

import org.caravan.relay.NextHop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The address directory, immutable: local domains, mailboxes, transport map. Built by
 * {@link DirectoryLoader} from {@code config/directory.yaml}; held by {@link DirectorySource} so a
 * reload can swap in a new one atomically while routes keep reading the old one.
 *
 * <p>All keys are lower-cased; lookups lower-case their argument (see {@link Addresses} for why
 * local parts too). Domain order is kept: the first domain is where bare "postmaster" goes.
 */
public final class Directory {
    private final List<String> domains;
    private final Set<String> domainSet;
    private final Map<String, Mailbox> mailboxes;
    private final Map<String, NextHop> transport;

    /**
     * @param domains   local domains, at least one, in operator order
     * @param mailboxes mailboxes; each address must be in a local domain
     * @param transport next hop per remote domain
     */
    public Directory(List<String> domains, List<Mailbox> mailboxes, Map<String, NextHop> transport) {
        if (domains.isEmpty()) {
            throw new IllegalArgumentException("at least one local domain is required");
        }
        Set<String> ds = new LinkedHashSet<>();
        domains.forEach(d -> ds.add(Addresses.normalize(d)));
        Map<String, Mailbox> mb = new LinkedHashMap<>();
        for (Mailbox m : mailboxes) {
            String key = Addresses.normalize(m.address());
            if (!ds.contains(Addresses.domainOf(key))) {
                throw new IllegalArgumentException("mailbox '" + key + "' is not in a local domain");
            }
            if (mb.putIfAbsent(key, new Mailbox(key, m.name(), m.passwordHash())) != null) {
                throw new IllegalArgumentException("mailbox '" + key + "' is defined twice");
            }
        }
        Map<String, NextHop> tr = new LinkedHashMap<>();
        transport.forEach((d, hop) -> tr.put(Addresses.normalize(d), hop));
        this.domains = List.copyOf(new ArrayList<>(ds));
        this.domainSet = Set.copyOf(ds);
        this.mailboxes = java.util.Collections.unmodifiableMap(mb);
        this.transport = java.util.Collections.unmodifiableMap(tr);
    }

    /** Local domains in file order (lower case). */
    public List<String> domains() {
        return domains;
    }

    /** The first local domain: home of the postmaster when no other applies. */
    public String primaryDomain() {
        return domains.get(0);
    }

    public boolean isLocalDomain(String domain) {
        return domainSet.contains(Addresses.normalize(domain));
    }

    /** The mailbox for this address, case-insensitively. */
    public Optional<Mailbox> mailbox(String address) {
        return Optional.ofNullable(mailboxes.get(Addresses.normalize(address)));
    }

    /** All mailboxes by lower-cased address, in file order. */
    public Map<String, Mailbox> mailboxes() {
        return mailboxes;
    }

    /** The configured next hop for a remote domain (exact domain match), if any. */
    public Optional<NextHop> transport(String domain) {
        return Optional.ofNullable(transport.get(Addresses.normalize(domain)));
    }

    /** The whole transport map, lower-cased domain to next hop, in file order. */
    public Map<String, NextHop> transport() {
        return transport;
    }

    @Override
    public String toString() {
        return "Directory[domains=" + domains + ", mailboxes=" + mailboxes.size() + ", transport="
                + transport + "]";
    }
}
