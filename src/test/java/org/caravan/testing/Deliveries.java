package org.caravan.testing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What next hops received, counted per "Message-ID recipient", held against what a load was
 * acknowledged: the measure of every test that kills a process and expects nothing lost.
 */
public final class Deliveries {
    private static final Pattern MESSAGE_ID = Pattern.compile("(?im)^Message-ID: <([^>]+)>");

    private Deliveries() {
    }

    /** Deliveries per "messageId recipient" at {@code servers}. */
    public static Map<String, Integer> delivered(ScriptedSmtpServer... servers) {
        Map<String, Integer> counts = new HashMap<>();
        for (ScriptedSmtpServer server : servers) {
            for (ScriptedSmtpServer.Received m : server.messages()) {
                String id = messageId(m.contentAsAscii());
                for (String rcpt : m.rcptTo()) {
                    counts.merge(id + " " + rcpt, 1, Integer::sum);
                }
            }
        }
        return counts;
    }

    /** The "messageId recipient" pairs acknowledged and not in {@code delivered}. */
    public static List<String> missing(List<SmtpLoad.Acknowledged> acknowledged, Map<String, Integer> delivered) {
        TreeSet<String> missing = new TreeSet<>();
        for (SmtpLoad.Acknowledged a : acknowledged) {
            for (String rcpt : a.recipients()) {
                if (!delivered.containsKey(a.messageId() + " " + rcpt)) {
                    missing.add(a.messageId() + " " + rcpt);
                }
            }
        }
        return List.copyOf(missing);
    }

    /** Deliveries beyond the first of each pair. */
    public static int duplicates(Map<String, Integer> delivered) {
        return delivered.values().stream().mapToInt(c -> c - 1).sum();
    }

    /** The Message-ID of {@code content}, or "?". */
    public static String messageId(String content) {
        Matcher m = MESSAGE_ID.matcher(content);
        return m.find() ? m.group(1) : "?";
    }
}
