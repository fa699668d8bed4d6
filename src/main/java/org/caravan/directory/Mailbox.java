package org.caravan.directory;

import java.util.Objects;

/**
 * One local mailbox from the directory.
 *
 * @param address      normalised (lower-cased) local@domain, the lookup key and Maildir location
 * @param name         display name, may be null (for VRFY answers later, RFC 5321 §3.5.1)
 * @param passwordHash password hash as the operator wrote it (e.g. bcrypt "$2a$..."), may be null;
 *                     stored for AUTH later, unused now
 */
public record Mailbox(String address, String name, String passwordHash) {
    public Mailbox {
        Objects.requireNonNull(address, "address");
    }

    /** Never print the hash: it ends up in logs. */
    @Override
    public String toString() {
        return "Mailbox[" + address + (name != null ? " (" + name + ")" : "") + "]";
    }
}
