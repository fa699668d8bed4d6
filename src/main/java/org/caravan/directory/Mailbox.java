package org.caravan.directory;

import java.util.Objects;

/**
 * One local mailbox from the directory.
 *
 * @param address      normalised (lower-cased) local@domain, the lookup key and Maildir location
 * @param name         display name, may be null (for VRFY answers later, RFC 5321 §3.5.1)
 * @param passwordHash bcrypt hash ("$2b$12$...", see {@link PasswordHash}) for SMTP AUTH, may be null
 *                     (the mailbox cannot authenticate)
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
