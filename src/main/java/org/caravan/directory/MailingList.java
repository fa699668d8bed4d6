package org.caravan.directory;

import java.util.List;
import java.util.Objects;

import org.caravan.mail.Addresses;

/**
 * A mailing list. Its mail goes out (from the route stage's expand step) with the envelope sender
 * owner-&lt;list local part&gt;@&lt;list domain&gt;, so bounces reach the {@code owner}, not the poster
 * (RFC 5321 §3.9.2).
 *
 * @param address normalised local@domain in a local domain
 * @param name    display name, may be null
 * @param owner   normalised address of the person responsible for the list
 * @param posters who may post
 * @param allowed senders allowed to post when {@code posters} is {@link Posters#LISTED}
 * @param members normalised member addresses; a member may itself be a list (nested)
 */
public record MailingList(String address, String name, String owner, Posters posters, List<String> allowed,
        List<String> members) {

    /** Who may post to a list. The owner always may. */
    public enum Posters {
        /** Any envelope sender. */
        ANYONE,
        /** Members only, including members of nested lists. */
        MEMBERS,
        /** Only the senders in {@code allowed}. */
        LISTED
    }

    public MailingList {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(posters, "posters");
        allowed = List.copyOf(allowed);
        members = List.copyOf(members);
    }

    /** The envelope sender of mail sent to the members: owner-list@domain. */
    public String bounceAddress() {
        return "owner-" + Addresses.localPartOf(address) + "@" + Addresses.domainOf(address);
    }
}
