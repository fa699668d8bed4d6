package org.caravan.directory;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.caravan.mail.Addresses;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/** Type checks on the directory file's YAML nodes, each failure naming the file and line. */
final class YamlNodes {
    private final Path file;

    YamlNodes(Path file) {
        this.file = file;
    }

    /** The mapping's entries by key (lower case), rejecting duplicate keys and, if given, unknown ones. */
    Map<String, NodeTuple> mapping(Node node, String what, Set<String> allowed) {
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

    List<Node> sequence(Node node, String what) {
        if (!(node instanceof SequenceNode seq)) {
            throw error(node, "'" + what + "': expected a list");
        }
        return seq.getValue();
    }

    String scalar(Node node, String what) {
        if (!(node instanceof ScalarNode s) || s.getTag().equals(Tag.NULL)) {
            throw error(node, what + ": expected a single value");
        }
        return s.getValue().trim();
    }

    static int line(Node node) {
        return node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    }

    DirectoryException error(Node node, String problem) {
        return new DirectoryException(file, line(node), problem);
    }
}
