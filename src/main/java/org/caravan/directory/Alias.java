package org.caravan.directory;

import java.util.List;
import java.util.Objects;

/**
 * One address delivered to several others (local or external), like an aliases(5) entry.
 *
 * @param address normalised local@domain in a local domain
 * @param targets normalised addresses, at least one, in file order
 */
public record Alias(String address, List<String> targets) {
    public Alias {
        Objects.requireNonNull(address, "address");
        targets = List.copyOf(targets);
    }
}
