package org.caravan.routing;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.caravan.directory.MailingList;
import org.caravan.envelope.RecipientNotice;
import org.caravan.mail.Addresses;
import org.caravan.mail.Replies;
import org.caravan.mail.SmtpReply;
import org.caravan.policy.Destination;
import org.caravan.policy.PolicyReplies;
import org.caravan.policy.RecipientClassifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The expand step of the route stage: turns a message's envelope recipients into final
 * recipients (local mailboxes and remote addresses), grouped into {@link RoutePart}s.
 *
 * <ul>
 * <li>Aliases and mailing lists expand recursively (lists nested in lists, aliases to lists, ...)
 * up to {@link #MAX_DEPTH} levels; deeper ones fail with 5.4.6. A cycle (team → subteam → team)
 * stops at the repeated address with a warning naming the cycle; every member is still reached
 * once. Duplicates are removed: each final recipient gets the message once.</li>
 * <li>List mail goes out with the list's {@link MailingList#bounceAddress()} as envelope sender
 * (RFC 5321 §3.9) and a {@code List-Id} field (RFC 2919).</li>
 * <li>Expanding an alias, list or moved user prepends {@code Delivered-To: <that address>}
 * (RFC 9228); an address already named in a Delivered-To field of the message is not expanded or
 * delivered again: that recipient fails with 5.4.6 "mail forwarding loop".</li>
 * <li>A moved user in forward mode becomes the new address; when that is remote, the part is marked
 * forwarded and the forward stage ({@link Forwarder}) rewrites its sender with SRS. Mode refuse fails with 551 5.1.6
 * (the directory changed after RCPT).</li>
 * <li>An SRS address of ours (a bounce to forwarded mail) becomes the original sender.</li>
 * </ul>
 *
 * Failures are grouped by the envelope sender in force, so a failing list member is reported to
 * the list owner, not to the poster.
 */
public final class RecipientExpander {
    private static final Logger LOG = LoggerFactory.getLogger(RecipientExpander.class);
    /** How deep aliases and lists may nest. */
    public static final int MAX_DEPTH = 10;

    private final RecipientClassifier classifier;

    public RecipientExpander(RecipientClassifier classifier) {
        this.classifier = Objects.requireNonNull(classifier, "classifier");
    }

    /**
     * @param recipients  the envelope recipients as queued
     * @param sender      the message's envelope sender ("" for the null reverse-path)
     * @param deliveredTo addresses in the message's Delivered-To fields, lower case
     * @param queueId     for log lines
     * @return the parts: per sender/prepend group its local part then one relay part per domain,
     *         then the unroutable parts (one per sender)
     */
    public List<RoutePart> expand(List<String> recipients, String sender, Set<String> deliveredTo, String queueId) {
        Run run = new Run(deliveredTo, queueId);
        for (String recipient : recipients) {
            run.route(recipient, new Context(null, false, List.of(), null, List.of()), 0);
        }
        return run.parts();
    }

    /** Where the expansion stands on one branch. */
    private record Context(String sender, boolean forwarded, List<String> deliveredTo, String listId,
            List<String> path) {

        Context enter(String address) {
            List<String> dt = new ArrayList<>();
            dt.add(address);
            dt.addAll(deliveredTo);
            List<String> p = new ArrayList<>(path);
            p.add(address);
            return new Context(sender, forwarded, dt, listId, p);
        }

        Context list(MailingList list) {
            String phrase = list.name() == null || list.name().isBlank() ? "" : quote(list.name()) + " ";
            return new Context(list.bounceAddress(), forwarded, deliveredTo,
                    phrase + "<" + list.address().replace('@', '.') + ">", path);
        }

        Context forwarding() {
            return new Context(sender, true, deliveredTo, listId, path);
        }

        /** Newest trace field first: Delivered-To lines, then the List-Id of the innermost list. */
        String prepend() {
            StringBuilder sb = new StringBuilder();
            for (String d : deliveredTo) {
                sb.append("Delivered-To: ").append(d).append("\r\n");
            }
            if (listId != null) {
                sb.append("List-Id: ").append(listId).append("\r\n");
            }
            return sb.toString();
        }
    }

    /** A phrase as an atom sequence when it can be, else a quoted string (RFC 5322 §3.2.5). */
    private static String quote(String name) {
        String clean = name.replaceAll("[\\r\\n\\t\\x00-\\x1f]+", " ").strip();
        if (clean.matches("[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+")) {
            return clean;
        }
        return "\"" + clean.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private record GroupKey(String sender, String prepend, boolean forwarded) {
    }

    private static final class Group {
        final Set<String> local = new LinkedHashSet<>();
        final Map<String, Set<String>> remote = new LinkedHashMap<>();
    }

    /** One message's expansion. */
    private final class Run {
        private final Set<String> headerDeliveredTo;
        private final String queueId;
        private final Map<GroupKey, Group> groups = new LinkedHashMap<>();
        private final Map<String, List<RecipientNotice>> failures = new LinkedHashMap<>();
        /** Final recipients (mailboxes, remote addresses) and failed addresses already handled. */
        private final Set<String> seen = new HashSet<>();

        Run(Set<String> deliveredTo, String queueId) {
            this.headerDeliveredTo = deliveredTo;
            this.queueId = queueId;
            groups.put(new GroupKey(null, "", false), new Group());
        }

        void route(String address, Context ctx, int depth) {
            if (depth > MAX_DEPTH) {
                LOG.warn("queue_id={}: expansion deeper than {} levels at <{}> via {}: stopped", queueId, MAX_DEPTH,
                        address, String.join(" -> ", ctx.path()));
                fail(ctx, address, Replies.EXPANSION_TOO_DEEP);
                return;
            }
            RecipientClassifier.SrsReversal srs = classifier.reverseSrs(address);
            if (srs != null) {
                if (srs.error() != null) {
                    fail(ctx, address, PolicyReplies.invalidSrs(address,
                            srs.error().reason().name().toLowerCase(java.util.Locale.ROOT)));
                } else {
                    route(srs.original(), ctx, depth + 1);
                }
                return;
            }
            Destination destination;
            try {
                destination = classifier.classify(address);
            } catch (IllegalArgumentException e) {
                fail(ctx, address, Replies.BAD_RECIPIENT_SYNTAX);
                return;
            }
            if (destination instanceof Destination.Local l) {
                if (headerDeliveredTo.contains(l.mailbox())) {
                    loop(ctx, address, l.mailbox());
                } else if (seen.add(l.mailbox())) {
                    group(ctx.sender(), ctx.prepend(), false).local.add(l.mailbox());
                }
            } else if (destination instanceof Destination.Remote r) {
                if (seen.add(Addresses.normalize(address))) {
                    // Forwarded mail leaves as a part of its own; the forward stage rewrites its sender.
                    group(ctx.sender(), ctx.prepend(), ctx.forwarded()).remote
                            .computeIfAbsent(r.domain(), d -> new LinkedHashSet<>()).add(address);
                }
            } else if (destination instanceof Destination.NoSuchUser n) {
                fail(ctx, n.address(), Replies.NO_SUCH_USER.withText("No such user here: " + n.address()));
            } else if (destination instanceof Destination.Alias a) {
                Context inner = enter(ctx, address, a.alias().address());
                if (inner != null) {
                    a.alias().targets().forEach(t -> route(t, inner, depth + 1));
                }
            } else if (destination instanceof Destination.List l) {
                Context inner = enter(ctx, address, l.list().address());
                if (inner != null) {
                    Context listed = inner.list(l.list());
                    l.list().members().forEach(m -> route(m, listed, depth + 1));
                }
            } else if (destination instanceof Destination.Forward f) {
                if (!f.forward().relay()) {
                    fail(ctx, address, PolicyReplies.userNotLocal(f.forward().to()));
                    return;
                }
                Context inner = enter(ctx, address, f.forward().address());
                if (inner != null) {
                    route(f.forward().to(), inner.forwarding(), depth + 1);
                }
            }
        }

        /** The context inside {@code key}, or null if it must not be expanded (a loop or a cycle). */
        private Context enter(Context ctx, String address, String key) {
            if (headerDeliveredTo.contains(key)) {
                loop(ctx, address, key);
                return null;
            }
            if (ctx.path().contains(key)) {
                List<String> cycle = new ArrayList<>(ctx.path().subList(ctx.path().indexOf(key), ctx.path().size()));
                cycle.add(key);
                LOG.warn("queue_id={}: expansion cycle {}: not expanded again", queueId, String.join(" -> ", cycle));
                return null;
            }
            if (!seen.add("expanded:" + key)) {
                return null; // reached twice without a cycle (two aliases to one list): once is enough
            }
            return ctx.enter(key);
        }

        private void loop(Context ctx, String address, String key) {
            LOG.warn("queue_id={}: <{}> already in a Delivered-To field: mail forwarding loop", queueId, key);
            fail(ctx, address, Replies.FORWARDING_LOOP.withText("Mail forwarding loop for " + key));
        }

        private void fail(Context ctx, String address, SmtpReply reply) {
            String key = Addresses.normalize(address);
            if (seen.add("failed:" + key)) {
                failures.computeIfAbsent(ctx.sender() == null ? "" : ctx.sender(), s -> new ArrayList<>())
                        .add(RecipientNotice.of(key, reply, ""));
            }
        }

        private Group group(String sender, String prepend, boolean forwarded) {
            return groups.computeIfAbsent(new GroupKey(sender, prepend, forwarded), k -> new Group());
        }

        List<RoutePart> parts() {
            List<RoutePart> parts = new ArrayList<>();
            groups.forEach((key, group) -> {
                if (!group.local.isEmpty()) {
                    parts.add(new RoutePart(RoutePart.Kind.LOCAL, null, List.copyOf(group.local), key.sender(),
                            key.prepend(), List.of(), false));
                }
                group.remote.forEach((domain, recipients) -> parts.add(new RoutePart(RoutePart.Kind.RELAY, domain,
                        List.copyOf(recipients), key.sender(), key.prepend(), List.of(), key.forwarded())));
            });
            failures.forEach((sender, notices) -> parts.add(new RoutePart(RoutePart.Kind.UNROUTABLE, null,
                    notices.stream().map(RecipientNotice::recipient).toList(), sender.isEmpty() ? null : sender,
                    "", notices, false)));
            return parts;
        }
    }
}
