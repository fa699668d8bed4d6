package org.caravan.directory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import org.caravan.mail.Addresses;
import org.caravan.nexthop.TransportEntry;

/**
 * The address directory, immutable: local domains, mailboxes, aliases, mailing lists, moved users
 * (forwards), catch-all addresses, sub-addressing and the transport map. Built by
 * {@link DirectoryLoader} from {@code config/directory.yaml}; held by {@link DirectorySource} so a
 * reload can swap in a new one atomically while routes keep reading the old one.
 *
 * <p>All keys are lower-cased; lookups lower-case their argument (see {@link Addresses} for why
 * local parts too). Domain order is kept: the first domain is where bare "postmaster" goes.
 *
 * <p>{@link #resolve(String)} is the one place that says what an address is; see there for the
 * order in which the rules apply.
 */
public final class Directory {
    /** RFC 5321 §4.5.1: "postmaster" is case-insensitive. */
    private static final String POSTMASTER = "postmaster";
    private final List<String> domains;
    private final Set<String> domainSet;
    private final Map<String, Mailbox> mailboxes;
    private final Map<String, TransportEntry> transport;
    private final String subaddressSeparator;
    private final Map<String, Alias> aliases;
    private final Map<String, MailingList> lists;
    private final Map<String, Forward> forwards;
    private final Map<String, String> catchAll;
    private final Map<String, RelayDomain> relayDomains;

    /**
     * @param domains   local domains, at least one, in operator order
     * @param mailboxes mailboxes; each address must be in a local domain
     * @param transport next hop and/or TLS policy per remote domain
     */
    public Directory(List<String> domains, List<Mailbox> mailboxes, Map<String, TransportEntry> transport) {
        this(domains, mailboxes, transport, "", List.of(), List.of(), List.of(), Map.of());
    }

    /**
     * @param domains             local domains, at least one, in operator order
     * @param mailboxes           mailboxes; each address must be in a local domain
     * @param transport           next hop and/or TLS policy per remote domain
     * @param subaddressSeparator separator of user+tag@domain, "" for none
     * @param aliases             aliases, addresses in local domains
     * @param lists               mailing lists, addresses in local domains
     * @param forwards            moved users, addresses in local domains
     * @param catchAll            local domain to the address that receives its otherwise unknown mail
     * @throws IllegalArgumentException when an address is outside the local domains or two entries
     *                                  share an address (the loader checks the same with line numbers)
     */
    public Directory(List<String> domains, List<Mailbox> mailboxes, Map<String, TransportEntry> transport,
            String subaddressSeparator, List<Alias> aliases, List<MailingList> lists, List<Forward> forwards,
            Map<String, String> catchAll) {
        this(domains, mailboxes, transport, subaddressSeparator, aliases, lists, forwards, catchAll, List.of());
    }

    /**
     * As above, with relay domains: remote domains accepted from anyone and relayed on.
     *
     * @param relayDomains remote domains, each with its transport entry (the loader checks both)
     */
    public Directory(List<String> domains, List<Mailbox> mailboxes, Map<String, TransportEntry> transport,
            String subaddressSeparator, List<Alias> aliases, List<MailingList> lists, List<Forward> forwards,
            Map<String, String> catchAll, List<RelayDomain> relayDomains) {
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
        Set<String> taken = new HashSet<>(mb.keySet());
        Map<String, Alias> al = new LinkedHashMap<>();
        for (Alias a : aliases) {
            Alias n = new Alias(local(ds, taken, "alias", a.address()), normalizeAll(a.targets()));
            al.put(n.address(), n);
        }
        Map<String, MailingList> li = new LinkedHashMap<>();
        for (MailingList l : lists) {
            MailingList n = new MailingList(local(ds, taken, "list", l.address()), l.name(),
                    Addresses.normalize(l.owner()), l.posters(), normalizeAll(l.allowed()), normalizeAll(l.members()));
            li.put(n.address(), n);
        }
        Map<String, Forward> fw = new LinkedHashMap<>();
        for (Forward f : forwards) {
            Forward n = new Forward(local(ds, taken, "forward", f.address()), Addresses.normalize(f.to()), f.relay());
            fw.put(n.address(), n);
        }
        Map<String, String> ca = new LinkedHashMap<>();
        catchAll.forEach((domain, target) -> {
            String d = Addresses.normalize(domain);
            if (!ds.contains(d)) {
                throw new IllegalArgumentException("catch-all for '" + d + "', which is not a local domain");
            }
            ca.put(d, Addresses.normalize(target));
        });
        this.subaddressSeparator = Objects.requireNonNull(subaddressSeparator, "subaddressSeparator");
        this.aliases = Collections.unmodifiableMap(al);
        this.lists = Collections.unmodifiableMap(li);
        this.forwards = Collections.unmodifiableMap(fw);
        this.catchAll = Collections.unmodifiableMap(ca);
        Map<String, TransportEntry> tr = new LinkedHashMap<>();
        transport.forEach((d, hop) -> tr.put(Addresses.normalize(d), hop));
        this.domains = List.copyOf(new ArrayList<>(ds));
        this.domainSet = Set.copyOf(ds);
        this.mailboxes = java.util.Collections.unmodifiableMap(mb);
        this.transport = java.util.Collections.unmodifiableMap(tr);
        Map<String, RelayDomain> rd = new LinkedHashMap<>();
        for (RelayDomain r : relayDomains) {
            if (ds.contains(r.domain())) {
                throw new IllegalArgumentException("relay domain " + r.domain() + " is a local domain");
            }
            rd.put(r.domain(), r);
        }
        this.relayDomains = Collections.unmodifiableMap(rd);
    }

    /** The relay domain entry of {@code domain} (exact match), if Caravan relays it for anyone. */
    public Optional<RelayDomain> relayDomain(String domain) {
        return Optional.ofNullable(relayDomains.get(Addresses.normalize(domain)));
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

    /**
     * The transport entry (next hop and/or TLS policy, or a gateway) of a remote domain, if any: the
     * domain's own entry, else the nearest {@code *.parent} entry (so {@code *.example.test} covers
     * {@code a.example.test} and {@code b.a.example.test}, not {@code example.test} itself).
     */
    public Optional<TransportEntry> transport(String domain) {
        return entryFor(transport, domain);
    }

    /** The transport map's keys whose entry holds mail for ETRN ({@code hold: etrn}), {@code *.parent} ones too. */
    public java.util.Set<String> heldDomains() {
        java.util.Set<String> held = new java.util.TreeSet<>();
        transport.forEach((domain, entry) -> {
            if (entry.held() && !entry.hold().odmr()) {
                held.add(domain);
            }
        });
        return held;
    }

    /** The on-demand domains ({@code hold: odmr}) that {@code user} may take by ATRN, exact keys only. */
    public java.util.Set<String> odmrDomainsOf(String user) {
        java.util.Set<String> mine = new java.util.TreeSet<>();
        transport.forEach((domain, entry) -> {
            if (entry.held() && entry.hold().releasableBy(user) && !domain.startsWith("*.")) {
                mine.add(domain);
            }
        });
        return mine;
    }

    /** {@link #transport(String)}'s lookup in a map of lower-cased keys (the loader checks entries with it). */
    static Optional<TransportEntry> entryFor(Map<String, TransportEntry> transport, String domain) {
        String d = Addresses.normalize(domain);
        TransportEntry exact = transport.get(d);
        if (exact != null) {
            return Optional.of(exact);
        }
        for (int dot = d.indexOf('.'); dot >= 0; dot = d.indexOf('.', dot + 1)) {
            TransportEntry wildcard = transport.get("*" + d.substring(dot));
            if (wildcard != null) {
                return Optional.of(wildcard);
            }
        }
        return Optional.empty();
    }

    /** The whole transport map, lower-cased domain to next hop, in file order. */
    public Map<String, TransportEntry> transport() {
        return transport;
    }

    /** The alias with exactly this address, case-insensitively. */
    public Optional<Alias> alias(String address) {
        return Optional.ofNullable(aliases.get(Addresses.normalize(address)));
    }

    /** The mailing list with exactly this address, case-insensitively. */
    public Optional<MailingList> list(String address) {
        return Optional.ofNullable(lists.get(Addresses.normalize(address)));
    }

    /** The moved user with exactly this (old) address, case-insensitively. */
    public Optional<Forward> forward(String address) {
        return Optional.ofNullable(forwards.get(Addresses.normalize(address)));
    }

    /** The address that receives otherwise unknown mail for this local domain, if any. */
    public Optional<String> catchAll(String domain) {
        return Optional.ofNullable(catchAll.get(Addresses.normalize(domain)));
    }

    /** The separator of user+tag@domain (RFC 5233), or "" when sub-addressing is off. */
    public String subaddressSeparator() {
        return subaddressSeparator;
    }

    /**
     * What {@code address} (local@domain, or bare "postmaster") is. The first rule that matches wins:
     *
     * <ol>
     * <li>Not a local domain: {@link Resolution.Remote}.</li>
     * <li>The exact address is a mailbox, alias, list or moved user.</li>
     * <li>postmaster@ a local domain (RFC 5321 §4.5.1), and bare "postmaster": what
     * postmaster@&lt;primary domain&gt; is, a mailbox even if the operator did not list it.</li>
     * <li>Sub-addressing on and the local part holds the separator: rules 2 and 3 for the part
     * before the first separator (user+tag → user).</li>
     * <li>A catch-all for the domain: what its target is (rules 2 and 3).</li>
     * <li>{@link Resolution.Unknown}.</li>
     * </ol>
     *
     * @throws IllegalArgumentException when the address has no domain or an empty local part
     */
    public Resolution resolve(String address) {
        String a = Addresses.normalize(address);
        if (a.equals(POSTMASTER)) {
            a = POSTMASTER + "@" + primaryDomain();
        }
        String local = Addresses.localPartOf(a);
        String domain = Addresses.domainOf(a);
        if (local.isEmpty() || domain.isEmpty() || a.indexOf('@') < 0) {
            throw new IllegalArgumentException("not a mailbox address: '" + address + "'");
        }
        if (!isLocalDomain(domain)) {
            return new Resolution.Remote(domain);
        }
        Optional<Resolution> found = defined(a);
        if (found.isEmpty() && !subaddressSeparator.isEmpty()) {
            int sep = local.indexOf(subaddressSeparator);
            if (sep > 0) {
                found = defined(local.substring(0, sep) + "@" + domain);
            }
        }
        if (found.isEmpty()) {
            found = catchAll(domain).flatMap(this::defined);
        }
        return found.orElseGet(() -> new Resolution.Unknown(Addresses.normalize(address)));
    }

    /**
     * Rules 2 and 3 of {@link #resolve}: the entry with exactly this local address, or the
     * postmaster fallback. Empty for anything else (sub-addressing and catch-all not applied).
     */
    public Optional<Resolution> defined(String address) {
        String a = Addresses.normalize(address);
        Optional<Resolution> exact = exact(a);
        if (exact.isPresent() || !Addresses.localPartOf(a).equals(POSTMASTER) || !isLocalDomain(Addresses.domainOf(a))) {
            return exact;
        }
        String primary = POSTMASTER + "@" + primaryDomain();
        return exact(primary).or(() -> Optional.of(new Resolution.ToMailbox(new Mailbox(primary, null, null))));
    }

    private Optional<Resolution> exact(String a) {
        Mailbox m = mailboxes.get(a);
        if (m != null) {
            return Optional.of(new Resolution.ToMailbox(m));
        }
        Alias al = aliases.get(a);
        if (al != null) {
            return Optional.of(new Resolution.ToAlias(al));
        }
        MailingList l = lists.get(a);
        if (l != null) {
            return Optional.of(new Resolution.ToList(l));
        }
        return Optional.ofNullable(forwards.get(a)).map(Resolution.Moved::new);
    }

    /**
     * Whether {@code sender} (an envelope sender, "" for the null reverse-path) may post to
     * {@code list}. The owner always may; {@link MailingList.Posters#MEMBERS} admits members of
     * the list and of the lists nested in it; {@link MailingList.Posters#LISTED} admits the
     * {@code allowed} senders. The null sender may post only to lists open to anyone.
     */
    public boolean mayPost(MailingList list, String sender) {
        String s = Addresses.normalize(sender == null ? "" : sender);
        return switch (list.posters()) {
            case ANYONE -> true;
            case LISTED -> !s.isEmpty() && (s.equals(list.owner()) || list.allowed().contains(s));
            case MEMBERS -> !s.isEmpty() && (s.equals(list.owner()) || isMember(list, s));
        };
    }

    /** Whether {@code address} is a member of {@code list} or of a list nested in it (cycles are safe). */
    public boolean isMember(MailingList list, String address) {
        String a = Addresses.normalize(address);
        Set<String> seen = new HashSet<>();
        Deque<MailingList> todo = new ArrayDeque<>();
        todo.add(list);
        while (!todo.isEmpty()) {
            MailingList l = todo.poll();
            if (!seen.add(l.address())) {
                continue;
            }
            for (String member : l.members()) {
                if (member.equals(a)) {
                    return true;
                }
                MailingList nested = lists.get(member);
                if (nested != null) {
                    todo.add(nested);
                }
            }
        }
        return false;
    }

    private static String local(Set<String> domains, Set<String> taken, String what, String address) {
        String key = Addresses.normalize(address);
        if (!domains.contains(Addresses.domainOf(key))) {
            throw new IllegalArgumentException(what + " '" + key + "' is not in a local domain");
        }
        if (!taken.add(key)) {
            throw new IllegalArgumentException(what + " '" + key + "' is already defined");
        }
        return key;
    }

    private static List<String> normalizeAll(List<String> addresses) {
        return addresses.stream().map(Addresses::normalize).toList();
    }

    @Override
    public String toString() {
        return "Directory[domains=" + domains + ", mailboxes=" + mailboxes.size() + ", aliases=" + aliases.size()
                + ", lists=" + lists.size() + ", forwards=" + forwards.size() + ", catch-all=" + catchAll
                + ", transport=" + transport + "]";
    }
}
