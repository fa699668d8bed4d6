package org.caravan.nexthop;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

import org.caravan.mail.SmtpReply;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.hosts.HostsFileParser;

/**
 * Decides where mail for a domain goes: the transport map, else the smarthost, else DNS MX
 * (RFC 5321 §5.1). Answers the ordered candidates to try, or a {@link NextHopException} whose
 * reply says temporary (4.4.3) or permanent (5.1.2, 5.1.10). Every candidate carries the domain's
 * {@link TlsPolicy}: its transport entry's {@code tls}, else the default.
 *
 * <p>Route syntax follows Postfix: {@code host:port} looks up MX records for {@code host} (and
 * falls back to its address), {@code [host]:port} connects to {@code host} itself. IP literals
 * never go to DNS. Thread-safe: no mutable state besides dnsjava's thread-safe resolver.
 */
public final class NextHopResolver {
    private static final Duration DEFAULT_DNS_TIMEOUT = Duration.ofSeconds(5);

    private final Function<String, Optional<TransportEntry>> transportMap;
    private final Optional<NextHop> smarthost;
    private final TlsPolicy defaultTls;
    private final int smtpPort;
    private final Resolver resolver;
    private final HostsFileParser hostsFile = new HostsFileParser();

    /**
     * @param transportMap entry of a domain (exact name, or a ".parent" entry for any subdomain,
     *                     Postfix style): next hop and/or TLS policy, looked up on every delivery
     *                     so a directory reload takes effect at once
     * @param smarthost    next hop for every domain the map does not route; empty for MX delivery
     * @param defaultTls   TLS policy of domains whose entry names none (Postfix smtp_tls_security_level)
     * @param dnsServer    null or empty for the system resolver, else {@code host:port} (UDP)
     * @param dnsTimeout   per query; short, so a dead server defers instead of stalling a worker
     * @param smtpPort     port of hosts found through MX (RFC 5321 §4.5.4.2: 25; tests use others)
     */
    public NextHopResolver(Function<String, Optional<TransportEntry>> transportMap, Optional<NextHop> smarthost,
                           TlsPolicy defaultTls, String dnsServer, Duration dnsTimeout, int smtpPort) {
        this.transportMap = transportMap;
        this.smarthost = smarthost;
        this.defaultTls = defaultTls;
        this.smtpPort = smtpPort;
        this.resolver = DnsResolvers.of(dnsServer, dnsTimeout);
    }

    /** A fixed transport map and smarthost in the text form operators write; port 25 for MX hosts. */
    public NextHopResolver(Map<String, String> transportMap, String smarthost, String dnsServer,
                           Duration dnsTimeout) {
        this(parsed(transportMap), smarthost == null || smarthost.isBlank() ? Optional.empty()
                : Optional.of(NextHop.parse(smarthost)), TlsPolicy.MAY, dnsServer, dnsTimeout, NextHop.SMTP_PORT);
    }

    public NextHopResolver(Map<String, String> transportMap, String smarthost, String dnsServer) {
        this(transportMap, smarthost, dnsServer, DEFAULT_DNS_TIMEOUT);
    }

    private static Function<String, Optional<TransportEntry>> parsed(Map<String, String> routes) {
        Map<String, TransportEntry> hops = new java.util.HashMap<>();
        routes.forEach((domain, route) -> hops.put(domain.toLowerCase(Locale.ROOT),
                TransportEntry.of(NextHop.parse(route))));
        return domain -> Optional.ofNullable(hops.get(domain));
    }

    /** Candidates for mail to {@code domain}, most preferred first, each with the domain's TLS policy. */
    public List<MailHost> resolve(String domain) throws NextHopException {
        String d = domain.toLowerCase(Locale.ROOT);
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        Optional<TransportEntry> entry = entryFor(d);
        TlsPolicy tls = entry.map(TransportEntry::tls).orElse(null);
        if (tls == null) {
            tls = defaultTls;
        }
        Optional<NextHop> route = entry.map(TransportEntry::nextHop).or(() -> smarthost);
        List<MailHost> hosts;
        if (route.isPresent()) {
            hosts = resolveRoute(route.get());
        } else if (d.startsWith("[")) {
            // Address literal as domain (RFC 5321 §4.1.3): no DNS at all.
            hosts = resolveRoute(NextHop.parse(d + ":" + smtpPort));
        } else {
            hosts = mxHosts(d, smtpPort);
        }
        TlsPolicy policy = tls;
        return hosts.stream().map(h -> h.withTls(policy)).toList();
    }

    private Optional<TransportEntry> entryFor(String domain) {
        Optional<TransportEntry> entry = transportMap.apply(domain);
        // Parent-domain entries ".example.com" match any subdomain, nearest first.
        for (int dot = domain.indexOf('.'); entry.isEmpty() && dot >= 0; dot = domain.indexOf('.', dot + 1)) {
            entry = transportMap.apply(domain.substring(dot));
        }
        return entry;
    }

    /** A transport map entry or smarthost: brackets mean "this host, no MX lookup", like Postfix. */
    List<MailHost> resolveRoute(NextHop hop) throws NextHopException {
        Optional<InetAddress> literal = IpLiteral.parse(hop.host());
        if (literal.isPresent()) {
            return List.of(new MailHost(hop.host(), literal.get(), hop.port()));
        }
        if (!hop.mxLookup()) {
            return hostCandidates(hop.host(), hop.port(), new boolean[1]);
        }
        return mxHosts(hop.host(), hop.port());
    }

    /** MX lookup with RFC 5321 §5.1 ordering, implicit MX and RFC 7505 null MX. */
    private List<MailHost> mxHosts(String domain, int port) throws NextHopException {
        List<MXRecord> mx = new ArrayList<>();
        for (Record rec : query(domain, Type.MX)) {
            mx.add((MXRecord) rec);
        }
        if (mx.isEmpty()) {
            // No MX: the domain itself is the implicit MX (RFC 5321 §5.1).
            return hostCandidates(domain, port, new boolean[1]);
        }
        if (mx.size() == 1 && mx.get(0).getTarget().equals(Name.root)) {
            throw new NextHopException(SmtpReply.of(556, "5.1.10",
                    "Domain " + domain + " does not accept mail (null MX, RFC 7505)"));
        }
        // Equal preferences are shuffled first so a stable sort keeps them random (§5.1 load sharing).
        Collections.shuffle(mx, ThreadLocalRandom.current());
        mx.sort(Comparator.comparingInt(MXRecord::getPriority));
        List<MailHost> result = new ArrayList<>();
        boolean[] temporary = new boolean[1];
        for (MXRecord rec : mx) {
            if (rec.getTarget().equals(Name.root)) {
                continue; // a "." among real MX records is malformed; skip it
            }
            String host = rec.getTarget().toString(true).toLowerCase(Locale.ROOT);
            try {
                result.addAll(hostCandidates(host, port, temporary));
            } catch (NextHopException e) {
                temporary[0] |= e.isTemporary();
            }
        }
        if (result.isEmpty()) {
            throw temporary[0] ? temporary(domain + ": no MX host address could be looked up")
                    : permanent(domain + ": no MX host has an address");
        }
        return result;
    }

    /** A/AAAA of one host; IPv4 first because IPv6 routes are the ones most often missing. */
    private List<MailHost> hostCandidates(String host, int port, boolean[] temporary) throws NextHopException {
        List<MailHost> result = new ArrayList<>();
        Optional<InetAddress> fromHosts = hostsFile(host);
        if (fromHosts.isPresent()) {
            return List.of(new MailHost(host, fromHosts.get(), port));
        }
        NextHopException failure = null;
        for (int type : new int[] {Type.A, Type.AAAA}) {
            try {
                for (Record rec : query(host, type)) {
                    InetAddress a = rec instanceof ARecord ar ? ar.getAddress() : ((AAAARecord) rec).getAddress();
                    result.add(new MailHost(host, a, port));
                }
            } catch (NextHopException e) {
                failure = e;
                temporary[0] |= e.isTemporary();
                if (!e.isTemporary()) {
                    break; // NXDOMAIN for A holds for AAAA too
                }
            }
        }
        if (result.isEmpty()) {
            throw failure != null ? failure : permanent(host + ": host has no address");
        }
        return result;
    }

    private Optional<InetAddress> hostsFile(String host) {
        try {
            Name name = Name.fromString(host, Name.root);
            Optional<InetAddress> a = hostsFile.getAddressForHost(name, Type.A);
            return a.isPresent() ? a : hostsFile.getAddressForHost(name, Type.AAAA);
        } catch (IOException e) {
            return Optional.empty(); // unreadable hosts file: DNS decides
        }
    }

    /** Records of {@code type} in the answer; empty for NODATA. NXDOMAIN permanent, other errors temporary. */
    private List<Record> query(String name, int type) throws NextHopException {
        Name qname;
        try {
            qname = Name.fromString(name, Name.root);
        } catch (TextParseException e) {
            throw permanent(name + ": invalid domain name");
        }
        Message response;
        try {
            response = resolver.send(Message.newQuery(Record.newRecord(qname, type, DClass.IN)));
        } catch (IOException e) {
            throw temporary(name + " type=" + Type.string(type) + ": " + e.getMessage());
        }
        int rcode = response.getRcode();
        if (rcode == Rcode.NXDOMAIN) {
            throw permanent("Host or domain name not found: " + name + " type=" + Type.string(type));
        }
        if (rcode != Rcode.NOERROR) {
            throw temporary(name + " type=" + Type.string(type) + ": " + Rcode.string(rcode));
        }
        List<Record> records = new ArrayList<>();
        for (Record rec : response.getSection(Section.ANSWER)) {
            if (rec.getType() == type) {
                records.add(rec); // CNAMEs in the answer were already followed by the recursive server
            }
        }
        return records;
    }

    private static NextHopException permanent(String text) {
        return new NextHopException(SmtpReply.of(550, "5.1.2", "Bad destination system: " + text));
    }

    private static NextHopException temporary(String text) {
        return new NextHopException(SmtpReply.of(451, "4.4.3", "DNS lookup failed temporarily: " + text));
    }
}
