package org.caravan.directory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.caravan.mail.Addresses;
import org.caravan.mail.AddressRules;
import org.caravan.nexthop.Gateway;
import org.caravan.nexthop.Hold;
import org.caravan.nexthop.NextHop;
import org.caravan.nexthop.TlsPolicy;
import org.caravan.nexthop.TransportEntry;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/**
 * The routing part of the directory file for {@link DirectoryLoader}: the {@code transport} map
 * (next hops, TLS levels, gateways, {@code *.domain} entries) and {@code relay-domains}, checked
 * as strictly as the rest, each problem naming its line.
 */
final class TransportMapLoader {
    private static final Set<String> TRANSPORT_KEYS = Set.of("nexthop", "tls", "gateway", "endpoint", "format",
            "max-size", "addresses", "hold", "customers");
    private static final Set<String> REGEX_KEYS = Set.of("out-match", "out-replace", "in-match", "in-replace");

    private final YamlNodes nodes;

    TransportMapLoader(YamlNodes nodes) {
        this.nodes = nodes;
    }

    Map<String, TransportEntry> transport(Node node, List<String> domains) {
        Map<String, TransportEntry> result = new LinkedHashMap<>();
        for (NodeTuple t : nodes.mapping(node, "transport", null).values()) {
            String key = Addresses.normalize(nodes.scalar(t.getKeyNode(), "a domain"));
            String domain = key.startsWith("*.") ? key.substring(2) : key;
            if (!Addresses.isValidDomain(domain)) {
                throw nodes.error(t.getKeyNode(), "malformed domain '" + key + "' in transport");
            }
            if (domains.contains(key)) {
                throw nodes.error(t.getKeyNode(), "transport for '" + key + "', but it is a local domain");
            }
            Node value = t.getValueNode();
            result.put(key, value instanceof MappingNode
                    ? transportEntry(value, key) : TransportEntry.of(nextHop(value)));
        }
        return result;
    }

    /** The mapping form of a transport entry: {@code nexthop} and/or {@code tls}, or a gateway. */
    private TransportEntry transportEntry(Node node, String domain) {
        String what = "transport for '" + domain + "'";
        Map<String, NodeTuple> m = nodes.mapping(node, what, TRANSPORT_KEYS);
        if (m.isEmpty()) {
            throw nodes.error(node, what + " is empty (expected 'nexthop', 'tls' and/or 'hold', or 'gateway' or 'endpoint')");
        }
        if (m.containsKey("gateway") || m.containsKey("endpoint")) {
            return TransportEntry.of(gateway(node, m, what));
        }
        for (String key : List.of("format", "max-size", "addresses")) {
            if (m.containsKey(key)) {
                throw nodes.error(m.get(key).getKeyNode(), "'" + key + "' in " + what + " belongs to a gateway ('gateway' or 'endpoint')");
            }
        }
        NextHop hop = m.containsKey("nexthop") ? nextHop(m.get("nexthop").getValueNode()) : null;
        TlsPolicy tls = null;
        if (m.containsKey("tls")) {
            Node tlsNode = m.get("tls").getValueNode();
            try {
                tls = TlsPolicy.parse(nodes.scalar(tlsNode, "'tls'"));
            } catch (IllegalArgumentException e) {
                throw nodes.error(tlsNode, "'tls' " + e.getMessage());
            }
        }
        Hold hold = m.containsKey("hold") ? hold(m) : null;
        if (hold == null && m.containsKey("customers")) {
            throw nodes.error(m.get("customers").getKeyNode(), "'customers' in " + what + " belongs to 'hold: odmr'");
        }
        return new TransportEntry(hop, tls, null, hold);
    }

    /**
     * {@code hold: etrn}, or {@code hold: odmr} with {@code customers}: the AUTH users (mailbox
     * addresses) that may take the domain's mail by ATRN (RFC 2645).
     */
    private Hold hold(Map<String, NodeTuple> m) {
        Node holdNode = m.get("hold").getValueNode();
        String how = nodes.scalar(holdNode, "'hold'").toLowerCase(java.util.Locale.ROOT);
        if (how.equals("etrn")) {
            if (m.containsKey("customers")) {
                throw nodes.error(m.get("customers").getKeyNode(), "'customers' belong to 'hold: odmr'; ETRN needs no AUTH");
            }
            return Hold.ETRN;
        }
        if (!how.equals("odmr")) {
            throw nodes.error(holdNode, "'hold' must be etrn or odmr, not '" + how + "'");
        }
        if (!m.containsKey("customers")) {
            throw nodes.error(holdNode, "'hold: odmr' needs 'customers': the AUTH users that may release the domain by ATRN");
        }
        Node list = m.get("customers").getValueNode();
        Set<String> customers = new java.util.LinkedHashSet<>();
        for (Node item : nodes.sequence(list, "'customers'")) {
            String user = nodes.scalar(item, "a customer");
            if (!Addresses.isValidMailbox(user)) {
                throw nodes.error(item, "'customers' must be AUTH users (mailbox addresses), not '" + user + "'");
            }
            customers.add(user);
        }
        if (customers.isEmpty()) {
            throw nodes.error(list, "'customers' is empty: nobody could release the domain");
        }
        return Hold.odmr(customers);
    }

    /** A gateway entry: {@code gateway: NAME} or {@code endpoint: URI}, with {@code format} and {@code max-size}. */
    private Gateway gateway(Node node, Map<String, NodeTuple> m, String what) {
        for (String key : List.of("nexthop", "tls", "hold", "customers")) {
            if (m.containsKey(key)) {
                throw nodes.error(m.get(key).getKeyNode(), "'" + key + "' in " + what + ": a gateway entry has no SMTP next hop");
            }
        }
        String name = m.containsKey("gateway") ? nodes.scalar(m.get("gateway").getValueNode(), "'gateway'") : null;
        String endpoint = m.containsKey("endpoint") ? nodes.scalar(m.get("endpoint").getValueNode(), "'endpoint'") : null;
        Gateway.Format format = Gateway.Format.MIME;
        if (m.containsKey("format")) {
            Node f = m.get("format").getValueNode();
            try {
                format = Gateway.Format.parse(nodes.scalar(f, "'format'"));
            } catch (IllegalArgumentException e) {
                throw nodes.error(f, e.getMessage());
            }
        }
        long maxSize = 0;
        if (m.containsKey("max-size")) {
            Node size = m.get("max-size").getValueNode();
            try {
                maxSize = Long.parseLong(nodes.scalar(size, "'max-size'"));
            } catch (NumberFormatException e) {
                throw nodes.error(size, "'max-size' must be a number of octets");
            }
        }
        AddressRules addresses = m.containsKey("addresses")
                ? addressRules(m.get("addresses").getValueNode(), what) : AddressRules.NONE;
        try {
            return new Gateway(name, endpoint, format, maxSize, addresses);
        } catch (IllegalArgumentException e) {
            throw nodes.error(node, what + ": " + e.getMessage());
        }
    }

    /**
     * {@code addresses}: the target system's address forms, in order: {@code percent}, {@code bang},
     * {@code x400}, or a regular-expression pair {@code {out-match, out-replace, in-match, in-replace}}.
     */
    private AddressRules addressRules(Node node, String what) {
        List<AddressRules.Rule> rules = new ArrayList<>();
        for (Node item : nodes.sequence(node, "'addresses' of " + what)) {
            try {
                if (item instanceof org.snakeyaml.engine.v2.nodes.ScalarNode) {
                    rules.add(AddressRules.named(nodes.scalar(item, "an address form")));
                    continue;
                }
                Map<String, NodeTuple> r = nodes.mapping(item, "an address rule of " + what, REGEX_KEYS);
                for (String key : REGEX_KEYS.stream().sorted().toList()) {
                    if (!r.containsKey(key)) {
                        throw nodes.error(item, "an address rule of " + what + " needs " + REGEX_KEYS.stream().sorted().toList()
                                + " (missing '" + key + "')");
                    }
                }
                rules.add(AddressRules.Regex.of(nodes.scalar(r.get("out-match").getValueNode(), "'out-match'"),
                        nodes.scalar(r.get("out-replace").getValueNode(), "'out-replace'"),
                        nodes.scalar(r.get("in-match").getValueNode(), "'in-match'"),
                        nodes.scalar(r.get("in-replace").getValueNode(), "'in-replace'")));
            } catch (IllegalArgumentException e) {
                throw nodes.error(item, e.getMessage());
            }
        }
        return new AddressRules(rules);
    }

    /**
     * {@code relay-domains}: domain to {@code any}, {@code callout} or a list of addresses. Each needs a transport
     * entry, so that its mail goes to a known next hop (or gateway) and never back to us by MX.
     */
    List<RelayDomain> relayDomains(Node node, List<String> domains, Map<String, TransportEntry> transport) {
        List<RelayDomain> result = new ArrayList<>();
        for (NodeTuple t : nodes.mapping(node, "relay-domains", null).values()) {
            String domain = Addresses.normalize(nodes.scalar(t.getKeyNode(), "a domain"));
            if (!Addresses.isValidDomain(domain)) {
                throw nodes.error(t.getKeyNode(), "malformed domain '" + domain + "' in relay-domains");
            }
            if (domains.contains(domain)) {
                throw nodes.error(t.getKeyNode(), "relay domain '" + domain + "' is a local domain");
            }
            if (Directory.entryFor(transport, domain).isEmpty()) {
                throw nodes.error(t.getKeyNode(), "relay domain '" + domain + "' has no transport entry: give its next hop "
                        + "(or gateway) under transport, so its mail is never sent back here by MX");
            }
            Node value = t.getValueNode();
            if (value instanceof ScalarNode s && "any".equalsIgnoreCase(s.getValue().trim())) {
                result.add(new RelayDomain(domain, null));
                continue;
            }
            if (value instanceof ScalarNode s && "callout".equalsIgnoreCase(s.getValue().trim())) {
                if (Directory.entryFor(transport, domain).get().gateway() != null) {
                    throw nodes.error(value, "relay domain '" + domain + "': callout needs an SMTP next hop, not a gateway");
                }
                result.add(new RelayDomain(domain, null, true));
                continue;
            }
            Set<String> recipients = new java.util.LinkedHashSet<>();
            for (Node a : nodes.sequence(value, "relay-domains " + domain + " (any, callout, or a list of addresses)")) {
                String address = Addresses.normalize(nodes.scalar(a, "an address"));
                if (!Addresses.isValidMailbox(address) || !Addresses.domainOf(address).equals(domain)) {
                    throw nodes.error(a, "'" + address + "' is not an address in relay domain '" + domain + "'");
                }
                recipients.add(address);
            }
            result.add(new RelayDomain(domain, recipients));
        }
        return result;
    }

    private NextHop nextHop(Node value) {
        try {
            return NextHop.parse(nodes.scalar(value, "a next hop"));
        } catch (IllegalArgumentException e) {
            throw nodes.error(value, e.getMessage());
        }
    }
}
