package org.caravan.directory;

import java.util.Objects;

/**
 * A user who has moved (RFC 5321 §3.4).
 *
 * @param address normalised local@domain in a local domain (the old address)
 * @param to      normalised new address
 * @param relay   true ("mode: forward"): we accept the mail and forward it ourselves (251);
 *                false ("mode: refuse"): we refuse it and name the new address (551)
 */
public record Forward(String address, String to, boolean relay) {
    public Forward {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(to, "to");
    }
}
