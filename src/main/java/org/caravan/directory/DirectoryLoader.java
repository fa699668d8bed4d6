package org.caravan.directory;

import org.caravan.relay.NextHop;

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

import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads the operator's directory file, {@code config/directory.yaml} (UTF-8):
 *
 * <pre>{@code
 * domains: [example.test, example.org]      # local domains, at least one; the first is where
 *                                           # bare "postmaster" is delivered
 * mailboxes:                                # optional
 *   - address: alice@example.test           # required, in a local domain, dot-atom local part
 *     name: Alice Example                   # optional display name (for VRFY later)
 *     password: "$2a$..."                   # optional hash, kept for AUTH later (unused now)
 *   - address: postmaster@example.test
 * transport:                                # optional: next hop per remote domain, Postfix
 *   partner.test: "[10.0.0.5]:25"           # transport(5) syntax; brackets = no MX lookup
 * }</pre>
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
    private static final Set<String> TOP_KEYS = Set.of("domains", "mailboxes", "transport");
    private static final Set<String> MAILBOX_KEYS = Set.of("address", "name", "password");

    private final Path file;

    private DirectoryLoader(Path file) {
        this.file = file;
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
        Map<String, NextHop> transport = top.containsKey("transport")
                ? transport(top.get("transport").getValueNode(), domains) : Map.of();
        return new Directory(domains, mailboxes, transport);
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
        Map<String, Integer> firstLine = new HashMap<>();
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
            Integer first = firstLine.putIfAbsent(address, line(addressNode));
            if (first != null) {
                throw error(addressNode, "mailbox '" + address + "' is defined twice (first on line " + first + ")");
            }
            String name = m.containsKey("name") ? scalar(m.get("name").getValueNode(), "'name'") : null;
            String password = m.containsKey("password")
                    ? scalar(m.get("password").getValueNode(), "'password'") : null;
            result.add(new Mailbox(address, name, password));
        }
        return result;
    }

    private Map<String, NextHop> transport(Node node, List<String> domains) {
        Map<String, NextHop> result = new LinkedHashMap<>();
        for (NodeTuple t : mapping(node, "transport", null).values()) {
            String domain = Addresses.normalize(scalar(t.getKeyNode(), "a domain"));
            if (!Addresses.isValidDomain(domain)) {
                throw error(t.getKeyNode(), "malformed domain '" + domain + "' in transport");
            }
            if (domains.contains(domain)) {
                throw error(t.getKeyNode(), "transport for '" + domain + "', but it is a local domain");
            }
            Node value = t.getValueNode();
            try {
                result.put(domain, NextHop.parse(scalar(value, "a next hop")));
            } catch (IllegalArgumentException e) {
                throw error(value, e.getMessage());
            }
        }
        return result;
    }

    // --- node helpers: type checks with line numbers ----------------------------------------

    /** The mapping's entries by key (lower case), rejecting duplicate keys and, if given, unknown ones. */
    private Map<String, NodeTuple> mapping(Node node, String what, Set<String> allowed) {
        if (!(node instanceof MappingNode map)) {
            throw error(node, what + ": expected a mapping (key: value)");
        }
        Map<String, NodeTuple> result = new LinkedHashMap<>();
        for (NodeTuple t : map.getValue()) {
            String key = Addresses.normalize(scalar(t.getKeyNode(), "a key"));
            if (allowed != null && !allowed.contains(key)) {
                throw error(t.getKeyNode(), "unknown key '" + key + "' in " + what + " (expected one of "
                        + new java.util.TreeSet<>(allowed) + ")");
            }
            if (result.putIfAbsent(key, t) != null) {
                throw error(t.getKeyNode(), "key '" + key + "' given twice in " + what);
            }
        }
        return result;
    }

    private List<Node> sequence(Node node, String what) {
        if (!(node instanceof SequenceNode seq)) {
            throw error(node, "'" + what + "': expected a list");
        }
        return seq.getValue();
    }

    private String scalar(Node node, String what) {
        if (!(node instanceof ScalarNode s) || s.getTag().equals(Tag.NULL)) {
            throw error(node, what + ": expected a single value");
        }
        return s.getValue().trim();
    }

    private static int line(Node node) {
        return node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    }

    private DirectoryException error(Node node, String problem) {
        return new DirectoryException(file, line(node), problem);
    }
}
