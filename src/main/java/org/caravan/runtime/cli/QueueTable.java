package org.caravan.runtime.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/**
 * The text form of a queue listing, in the spirit of {@code postqueue -p}: per message a line with
 * queue id, state, size, arrival and sender, then its recipients, then (deferred) the last error
 * and the next attempt, or the node holding it in delivery; a count at the end.
 */
final class QueueTable {
    private QueueTable() {
    }

    static void print(List<Map<String, Object>> messages, Map<String, Object> notListed, PrintWriter out) {
        if (messages.isEmpty() && notListed.isEmpty()) {
            out.println("Mail queue is empty");
            return;
        }
        out.printf("%-17s  %-8s %9s  %-24s  %s%n", "Queue ID", "State", "Size", "Arrival", "Sender/Recipient");
        long octets = 0;
        for (Map<String, Object> m : messages) {
            long size = ((Number) m.get("size")).longValue();
            octets += Math.max(size, 0);
            String sender = String.valueOf(m.get("sender"));
            out.printf("%-17s  %-8s %9s  %-24s  %s%n", m.get("queue_id"), m.get("state"), size < 0 ? "?" : size,
                    m.get("arrival"), sender.isEmpty() ? "<>" : sender);
            String error = String.valueOf(m.getOrDefault("last_error", ""));
            if (!error.isEmpty() && !"null".equals(error)) {
                for (String line : error.split("\n")) {
                    out.printf("%62s(%s)%n", "", line.strip());
                }
            }
            @SuppressWarnings("unchecked")
            List<String> recipients = (List<String>) m.get("recipients");
            for (String r : recipients) {
                out.printf("%62s%s%n", "", r);
            }
            if (m.get("in_delivery") instanceof Map<?, ?> holder) {
                // no node name: a consumer the broker no longer lists, or a client that gave none
                out.printf("%62sin delivery%s%n", "", "".equals(holder.get("node")) ? ""
                        : " at " + holder.get("node") + " (" + holder.get("address") + ")");
            }
            Object next = m.get("next_attempt");
            if (next != null) {
                out.printf("%62snext attempt %s%s%n", "", next, "".equals(m.get("next_hop")) ? "" : " to " + m.get("next_hop"));
            }
        }
        out.printf("-- %d Kbytes in %d Request%s.%n", (octets + 1023) / 1024, messages.size(), messages.size() == 1 ? "" : "s");
        // A queue longer than the broker's browse limit: say so rather than look complete.
        notListed.forEach((queue, n) -> out.printf("-- and %s more on %s, not listed: beyond the broker's "
                + "management-browse-page-size%n", n, queue));
    }
}
