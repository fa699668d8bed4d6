package org.caravan.directory;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.caravan.mail.Addresses;
import org.caravan.nexthop.TransportEntry;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

/**
 * Reads the operator's directory file, {@code config/directory.yaml} (UTF-8):
 *
 * <pre>{@code
 * domains: [example.test, example.org]      # local domains, at least one; the first is where
 *                                           # bare "postmaster" is delivered
 * mailboxes:                                # optional
 *   - address: alice@example.test           # required, in a local domain, dot-atom local part
 *     name: Alice Example                   # optional display name (for VRFY later)
 *     password: "$2b$12$..."                # optional bcrypt hash ($2a$/$2b$/$2y$) for SMTP AUTH
 *   - address: postmaster@example.test
 * transport:                                # optional: next hop per remote domain, Postfix
 *   partner.test: "[10.0.0.5]:25"           # transport(5) syntax; brackets = no MX lookup
 *   bank.test:                              # or a mapping: next hop and/or TLS policy
 *     nexthop: "[mx.bank.test]:25"          # optional; absent = smarthost or MX as usual
 *     tls: encrypt                          # none | may (default) | encrypt | verify
 *   orders.test: { gateway: orders }        # or a gateway: routes/gateways/orders.camel.yaml
 *   tickets.test:                           # or an inline Camel endpoint
 *     endpoint: "jms:queue:tickets.inbox"
 *     format: json                          # mime (default: the stored bytes) | json
 *     max-size: 10485760                    # optional: larger messages bounce (5.3.4)
 *   "*.branch.test": "[relay.branch.test]"  # "*." : every subdomain (an exact entry wins)
 * relay-domains:                            # optional: remote domains accepted from anyone and
 *   backup.test: any                        # relayed to their transport entry (which they need)
 *   internal.test: [a@internal.test]        # or only these recipients (550 5.1.1 for others)
 * subaddressing: "+"                        # optional: user+tag@domain is user@domain
 * aliases:                                  # optional: one address to many (local or external)
 *   sales@example.test: [alice@example.test, bob@far.test]
 * lists:                                    # optional
 *   - address: team@example.test            # required, in a local domain
 *     name: The Team                        # optional
 *     owner: alice@example.test             # required
 *     posters: members                      # anyone | members (default) | listed
 *     allowed: [boss@far.test]              # senders allowed when posters: listed
 *     members: [alice@example.test, friends@example.test]   # nested lists allowed
 * forwards:                                 # optional: users who have moved
 *   - address: dave@example.test
 *     to: dave@newplace.test
 *     mode: forward                         # forward (default, 251) | refuse (551)
 * catch-all:                                # optional: local domain to a mailbox, alias or list here
 *   example.org: postmaster@example.org
 * }</pre>
 *
 * <p>Alias, list and forward addresses must be in a local domain and unique among themselves and
 * the mailboxes. Local addresses they point to (targets, members, owners, new addresses) must be
 * defined in the file (external ones are taken as they are).
 *
 * <p>Addresses and domains are compared case-insensitively, local parts included (see
 * {@link Addresses}). The file is checked strictly because a typo in it either loses mail or opens
 * a relay: unknown keys, malformed addresses or domains, a mailbox outside the local domains, a
 * mailbox or key given twice, a transport entry for a local domain, and YAML syntax errors each
 * fail with a {@link DirectoryException} whose message is "file:line: problem" (line 1-based).
 *
 * <p>We walk snakeyaml-engine's node graph rather than loading into plain maps, because only the
 * nodes carry the {@link Mark}s that give line numbers.
 */
public final class DirectoryLoader {
    private static final Set<String> TOP_KEYS = Set.of("domains", "mailboxes", "transport", "relay-domains", "subaddressing",
            "aliases", "lists", "forwards", "catch-all");
    private static final Set<String> MAILBOX_KEYS = Set.of("address", "name", "password");
    private static final Set<String> LIST_KEYS = Set.of("address", "name", "owner", "posters", "allowed", "members");
    private static final Set<String> FORWARD_KEYS = Set.of("address", "to", "mode");
    /** Characters allowed as the sub-address separator: RFC 5322 atext specials, one of them. */
    private static final String SEPARATORS = "+-_=#~!$%&'*/?^`{|}";

    /** Where each local address was first defined, to report collisions with both lines. */
    private final Map<String, Integer> definedAt = new HashMap<>();
    /** Addresses that must resolve once the whole file is read (alias targets, members, ...). */
    private final List<Map.Entry<Node, String>> mustExist = new ArrayList<>();

    private final Path file;
    private final YamlNodes nodes;
    private final TransportMapLoader transportMap;

    private DirectoryLoader(Path file) {
        this.file = file;
        this.nodes = new YamlNodes(file);
        this.transportMap = new TransportMapLoader(nodes);
    }

    /** Loads and validates the directory file; every problem is a {@link DirectoryException}. */
    public static Directory load(Path file) {
        return new DirectoryLoader(file).load();
    }

    private Directory load() {
        Node root;
        LoadSettings settings = LoadSettings.builder().setLabel(file.toString()).build();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Optional<Node> doc = new Compose(settings).composeReader(reader);
            root = doc.orElseThrow(() -> new DirectoryException(file, 0, "the directory file is empty"));
        } catch (NoSuchFileException e) {
            throw new DirectoryException(file, 0, "directory file not found (looked for "
                    + file.toAbsolutePath() + ")", e);
        } catch (IOException e) {
            throw new DirectoryException(file, 0, "cannot read the directory file: " + e, e);
        } catch (MarkedYamlEngineException e) {
            Optional<Mark> mark = e.getProblemMark().or(e::getContextMark);
            String problem = e.getProblem() != null ? e.getProblem() : e.getContext();
            throw new DirectoryException(file, mark.map(m -> m.getLine() + 1).orElse(0),
                    "YAML syntax error: " + problem, e);
        } catch (YamlEngineException e) {
            throw new DirectoryException(file, 0, "YAML error: " + e.getMessage(), e);
        }
        Map<String, NodeTuple> top = mapping(root, "the top level", TOP_KEYS);
        if (!top.containsKey("domains")) {
            throw error(root, "'domains' is missing: at least one local domain is required");
        }
        List<String> domains = domains(top.get("domains").getValueNode());
        List<Mailbox> mailboxes = top.containsKey("mailboxes")
                ? mailboxes(top.get("mailboxes").getValueNode(), domains) : List.of();
        Map<String, TransportEntry> transport = top.containsKey("transport")
                ? transportMap.transport(top.get("transport").getValueNode(), domains) : Map.of();
        String separator = top.containsKey("subaddressing")
                ? separator(top.get("subaddressing").getValueNode()) : "";
        List<Alias> aliases = top.containsKey("aliases")
                ? aliases(top.get("aliases").getValueNode(), domains) : List.of();
        List<MailingList> lists = top.containsKey("lists")
                ? lists(top.get("lists").getValueNode(), domains) : List.of();
        List<Forward> forwards = top.containsKey("forwards")
                ? forwards(top.get("forwards").getValueNode(), domains) : List.of();
        List<RelayDomain> relayDomains = top.containsKey("relay-domains")
                ? transportMap.relayDomains(top.get("relay-domains").getValueNode(), domains, transport) : List.of();
        Map<String, String> catchAll = new LinkedHashMap<>();
        Map<String, Node> catchAllNodes = new LinkedHashMap<>();
        if (top.containsKey("catch-all")) {
            catchAll(top.get("catch-all").getValueNode(), domains, catchAll, catchAllNodes);
        }
        Directory directory;
        try {
            directory = new Directory(domains, mailboxes, transport, separator, aliases, lists, forwards, catchAll,
                    relayDomains);
        } catch (IllegalArgumentException e) {
            throw error(root, e.getMessage()); // the checks above should have caught it with its line
        }
        // Local addresses named as targets must exist: a typo there silently loses mail.
        for (Map.Entry<Node, String> target : mustExist) {
            String a = target.getValue();
            if (directory.isLocalDomain(Addresses.domainOf(a))
                    && directory.resolve(a) instanceof Resolution.Unknown) {
                throw error(target.getKey(), "'" + a + "' is in a local domain but is not defined here");
            }
        }
        catchAllNodes.forEach((domain, node) -> {
            Optional<Resolution> target = directory.defined(catchAll.get(domain));
            if (target.isEmpty() || target.get() instanceof Resolution.Moved) {
                throw error(node, "catch-all target '" + catchAll.get(domain)
                        + "' must be a mailbox, alias or list defined here");
            }
        });
        return directory;
    }

    private String separator(Node node) {
        String s = scalar(node, "'subaddressing'");
        if (s.length() != 1 || SEPARATORS.indexOf(s.charAt(0)) < 0) {
            throw error(node, "'subaddressing' must be one character of " + SEPARATORS + ", not '" + s + "'");
        }
        return s;
    }

    private List<Alias> aliases(Node node, List<String> domains) {
        List<Alias> result = new ArrayList<>();
        for (NodeTuple t : mapping(node, "aliases", null).values()) {
            String address = localAddress(t.getKeyNode(), "alias", domains);
            List<String> targets = addressList(t.getValueNode(), "alias '" + address + "'", true);
            if (targets.isEmpty()) {
                throw error(t.getValueNode(), "alias '" + address + "' has no targets");
            }
            if (targets.contains(address)) {
                throw error(t.getValueNode(), "alias '" + address + "' points to itself");
            }
            result.add(new Alias(address, targets));
        }
        return result;
    }

    private List<MailingList> lists(Node node, List<String> domains) {
        List<MailingList> result = new ArrayList<>();
        for (Node item : sequence(node, "lists")) {
            Map<String, NodeTuple> m = mapping(item, "a list", LIST_KEYS);
            if (!m.containsKey("address")) {
                throw error(item, "list without 'address'");
            }
            String address = localAddress(m.get("address").getValueNode(), "list", domains);
            if (!m.containsKey("owner")) {
                throw error(item, "list '" + address + "' without 'owner' (who receives its bounces)");
            }
            Node ownerNode = m.get("owner").getValueNode();
            String owner = address(ownerNode, "'owner'");
            mustExist.add(Map.entry(ownerNode, owner));
            String name = m.containsKey("name") ? scalar(m.get("name").getValueNode(), "'name'") : null;
            MailingList.Posters posters = MailingList.Posters.MEMBERS;
            if (m.containsKey("posters")) {
                Node p = m.get("posters").getValueNode();
                String v = Addresses.normalize(scalar(p, "'posters'"));
                posters = switch (v) {
                    case "anyone" -> MailingList.Posters.ANYONE;
                    case "members" -> MailingList.Posters.MEMBERS;
                    case "listed" -> MailingList.Posters.LISTED;
                    default -> throw error(p, "'posters' must be anyone, members or listed, not '" + v + "'");
                };
            }
            List<String> allowed = m.containsKey("allowed")
                    ? addressList(m.get("allowed").getValueNode(), "'allowed'", false) : List.of();
            if (posters == MailingList.Posters.LISTED && allowed.isEmpty() && !m.containsKey("allowed")) {
                throw error(item, "list '" + address + "' has 'posters: listed' but no 'allowed'");
            }
            List<String> members = m.containsKey("members")
                    ? addressList(m.get("members").getValueNode(), "'members'", true) : List.of();
            if (members.contains(address)) {
                throw error(m.get("members").getValueNode(), "list '" + address + "' is a member of itself");
            }
            result.add(new MailingList(address, name, owner, posters, allowed, members));
        }
        return result;
    }

    private List<Forward> forwards(Node node, List<String> domains) {
        List<Forward> result = new ArrayList<>();
        for (Node item : sequence(node, "forwards")) {
            Map<String, NodeTuple> m = mapping(item, "a forward", FORWARD_KEYS);
            if (!m.containsKey("address")) {
                throw error(item, "forward without 'address'");
            }
            String address = localAddress(m.get("address").getValueNode(), "forward", domains);
            if (!m.containsKey("to")) {
                throw error(item, "forward '" + address + "' without 'to' (the new address)");
            }
            Node toNode = m.get("to").getValueNode();
            String to = address(toNode, "'to'");
            if (to.equals(address)) {
                throw error(toNode, "forward '" + address + "' points to itself");
            }
            mustExist.add(Map.entry(toNode, to));
            boolean relay = true;
            if (m.containsKey("mode")) {
                Node modeNode = m.get("mode").getValueNode();
                String mode = Addresses.normalize(scalar(modeNode, "'mode'"));
                relay = switch (mode) {
                    case "forward" -> true;
                    case "refuse" -> false;
                    default -> throw error(modeNode, "'mode' must be forward or refuse, not '" + mode + "'");
                };
            }
            result.add(new Forward(address, to, relay));
        }
        return result;
    }

    private void catchAll(Node node, List<String> domains, Map<String, String> result, Map<String, Node> nodes) {
        for (NodeTuple t : mapping(node, "catch-all", null).values()) {
            String domain = Addresses.normalize(scalar(t.getKeyNode(), "a domain"));
            if (!domains.contains(domain)) {
                throw error(t.getKeyNode(), "catch-all for '" + domain + "', which is not a local domain");
            }
            String target = address(t.getValueNode(), "catch-all target");
            if (!domains.contains(Addresses.domainOf(target))) {
                throw error(t.getValueNode(), "catch-all target '" + target + "' is not in a local domain");
            }
            result.put(domain, target);
            nodes.put(domain, t.getValueNode());
        }
    }

    /** An address that an alias, list or forward defines: in a local domain, not defined before. */
    private String localAddress(Node node, String what, List<String> domains) {
        String address = address(node, "'address'");
        if (!domains.contains(Addresses.domainOf(address))) {
            throw error(node, what + " '" + address + "' is not in a local domain");
        }
        Integer first = definedAt.putIfAbsent(address, line(node));
        if (first != null) {
            throw error(node, what + " '" + address + "' is already defined (first on line " + first + ")");
        }
        return address;
    }

    /** A list of addresses; local ones are checked to exist once the whole file is read if asked. */
    private List<String> addressList(Node node, String what, boolean checkLocal) {
        List<String> result = new ArrayList<>();
        for (Node item : sequence(node, what)) {
            String a = address(item, "an address in " + what);
            if (result.contains(a)) {
                throw error(item, "'" + a + "' is listed twice in " + what);
            }
            if (checkLocal) {
                mustExist.add(Map.entry(item, a));
            }
            result.add(a);
        }
        return result;
    }

    private String address(Node node, String what) {
        String address = Addresses.normalize(scalar(node, what));
        if (!Addresses.isValidMailbox(address)) {
            throw error(node, "malformed address '" + address + "' (expected local@domain)");
        }
        return address;
    }

    private List<String> domains(Node node) {
        List<String> domains = new ArrayList<>();
        for (Node item : sequence(node, "domains")) {
            String d = Addresses.normalize(scalar(item, "a domain"));
            if (!Addresses.isValidDomain(d)) {
                throw error(item, "malformed domain '" + d + "'");
            }
            if (domains.contains(d)) {
                throw error(item, "domain '" + d + "' is listed twice");
            }
            domains.add(d);
        }
        if (domains.isEmpty()) {
            throw error(node, "'domains' is empty: at least one local domain is required");
        }
        return domains;
    }

    private List<Mailbox> mailboxes(Node node, List<String> domains) {
        List<Mailbox> result = new ArrayList<>();
        for (Node item : sequence(node, "mailboxes")) {
            Map<String, NodeTuple> m = mapping(item, "a mailbox", MAILBOX_KEYS);
            if (!m.containsKey("address")) {
                throw error(item, "mailbox without 'address'");
            }
            Node addressNode = m.get("address").getValueNode();
            String address = Addresses.normalize(scalar(addressNode, "'address'"));
            if (!Addresses.isValidMailbox(address)) {
                throw error(addressNode, "malformed address '" + address + "' (expected local@domain)");
            }
            if (!domains.contains(Addresses.domainOf(address))) {
                throw error(addressNode, "mailbox '" + address + "' is not in a local domain");
            }
            Integer first = definedAt.putIfAbsent(address, line(addressNode));
            if (first != null) {
                throw error(addressNode, "mailbox '" + address + "' is defined twice (first on line " + first + ")");
            }
            String name = m.containsKey("name") ? scalar(m.get("name").getValueNode(), "'name'") : null;
            String password = m.containsKey("password") ? passwordHash(m.get("password").getValueNode(), address) : null;
            result.add(new Mailbox(address, name, password));
        }
        return result;
    }

    /** A bcrypt hash; the value is never echoed in the error: it may be a plaintext password. */
    private String passwordHash(Node node, String address) {
        String hash = scalar(node, "'password'");
        if (!PasswordHash.isWellFormed(hash)) {
            throw error(node, "'password' of '" + address + "' is not a bcrypt hash ($2a$, $2b$ or $2y$, cost "
                    + PasswordHash.MIN_COST + "-" + PasswordHash.MAX_COST + "); plaintext is never accepted. "
                    + "Make a hash with: java -jar caravan.jar hash-password");
        }
        return hash;
    }

    // --- node helpers: type checks with line numbers (YamlNodes) -----------------------------

    private Map<String, NodeTuple> mapping(Node node, String what, Set<String> allowed) {
        return nodes.mapping(node, what, allowed);
    }

    private List<Node> sequence(Node node, String what) {
        return nodes.sequence(node, what);
    }

    private String scalar(Node node, String what) {
        return nodes.scalar(node, what);
    }

    private static int line(Node node) {
        return YamlNodes.line(node);
    }

    private DirectoryException error(Node node, String problem) {
        return nodes.error(node, problem);
    }
}
