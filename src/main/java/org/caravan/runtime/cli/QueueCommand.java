package org.caravan.runtime.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.caravan.runtime.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code java -jar caravan.jar queue ...}: queue control of the running router, Postfix's
 * {@code postqueue} and {@code postsuper} (README, "Operating Caravan"), through its management
 * port's queue API.
 */
@Command(name = "queue", description = "Show and change what waits in the running router's queues.",
        mixinStandardHelpOptions = true,
        subcommands = {QueueCommand.ListCmd.class, QueueCommand.Show.class, QueueCommand.Flush.class,
                QueueCommand.Hold.class, QueueCommand.Release.class, QueueCommand.Requeue.class, QueueCommand.Delete.class})
final class QueueCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--url", description = "the management server, e.g. http://127.0.0.1:9876 (default: from caravan.management.*)")
    String url;

    @Option(names = "--token", description = "the queue API's token (default: caravan.management.token, else data/management.token)")
    String token;

    @Spec
    CommandSpec spec;

    private final Settings settings;

    QueueCommand(Settings settings) {
        this.settings = settings;
    }

    QueueClient client() throws Exception {
        return QueueClient.from(settings, url, token, spec.commandLine().getErr());
    }

    static String selection(String id, String domain, boolean all) {
        List<String> q = new ArrayList<>();
        if (id != null) {
            q.add("id=" + enc(id));
        }
        if (domain != null) {
            q.add("domain=" + enc(domain));
        }
        if (all) {
            q.add("all=true");
        }
        return String.join("&", q);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Base of the subcommands: the parent's client, output and error streams. */
    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        QueueCommand parent;

        @Spec
        CommandSpec spec;

        java.io.PrintWriter out() {
            return spec.commandLine().getOut();
        }

        java.io.PrintWriter err() {
            return spec.commandLine().getErr();
        }

        int answer(QueueClient.Answer a) throws Exception {
            if (a.status() == 200) {
                return 0;
            }
            Map<String, Object> body;
            try {
                body = JSON.readValue(a.body(), new TypeReference<>() { });
            } catch (Exception e) {
                body = Map.of("error", a.body());
            }
            err().println("queue: " + a.status() + " " + body.getOrDefault("error", a.body()));
            err().flush();
            return a.status() == 404 ? 3 : 1;
        }
    }

    @Command(name = "list", description = "What waits, queue by queue (postqueue -p; --json as postqueue -j).",
            mixinStandardHelpOptions = true)
    static final class ListCmd extends Sub {
        @Option(names = "--json", description = "one JSON document")
        boolean json;

        @Option(names = "--domain", description = "only mail for this next-hop domain")
        String domain;

        @Option(names = "--older-than", description = "only mail older than this (30s, 5m, 4h, 5d)")
        String olderThan;

        @Override
        public Integer call() throws Exception {
            String query = selection(null, domain, false) + (olderThan == null ? "" : "&older-than=" + enc(olderThan));
            QueueClient.Answer a = parent.client().get("/api/v1/queue" + (query.isEmpty() || query.equals("&") ? "" : "?" + query));
            int status = answer(a);
            if (status != 0) {
                return status;
            }
            java.io.PrintWriter out = out();
            if (json) {
                out.println(a.body());
            } else {
                Map<String, Object> listing = JSON.readValue(a.body(), new TypeReference<Map<String, Object>>() { });
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> messages = (List<Map<String, Object>>) listing.get("messages");
                @SuppressWarnings("unchecked")
                Map<String, Object> notListed = (Map<String, Object>) listing.getOrDefault("not_listed", Map.of());
                QueueTable.print(messages, notListed, out);
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "show", description = "One message: its parts, envelope, attempts and every envelope property.",
            mixinStandardHelpOptions = true)
    static final class Show extends Sub {
        @Parameters(paramLabel = "QUEUE_ID")
        String id;

        @Option(names = "--body", description = "print the message as queued, after its envelope (postcat -b)")
        boolean body;

        @Override
        public Integer call() throws Exception {
            QueueClient client = parent.client();
            QueueClient.Answer a = client.get("/api/v1/queue/" + enc(id));
            int status = answer(a);
            if (status != 0) {
                return status;
            }
            java.io.PrintWriter out = out();
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(a.body())));
            if (body) {
                QueueClient.Answer content = client.get("/api/v1/queue/" + enc(id) + "/content");
                status = answer(content);
                if (status == 0) {
                    out.println("*** MESSAGE CONTENTS " + id + " ***");
                    out.print(content.body().replace("\r\n", "\n"));
                }
            }
            out.flush();
            return status;
        }
    }

    /** flush, hold, release and delete: one selection, one POST, one count. */
    abstract static class Change extends Sub {
        @Parameters(paramLabel = "QUEUE_ID", arity = "0..1", description = "one message, by its queue id")
        String id;

        @Option(names = "--domain", description = "the mail for this next-hop domain")
        String domain;

        abstract String operation();

        abstract String doing();

        String extra() {
            return "";
        }

        boolean all() {
            return false;
        }

        @Override
        public Integer call() throws Exception {
            String query = selection(id, domain, all()) + extra();
            if (query.isEmpty() && !operation().equals("flush")) {
                err().println("queue " + operation() + ": name a queue id, --domain, or " + (operation().equals("delete")
                        ? "--all-deferred" : "--all"));
                err().flush();
                return 2;
            }
            QueueClient.Answer a = parent.client().post("/api/v1/queue/" + operation() + (query.isEmpty() ? "?all=true" : "?" + query),
                    doing());
            int status = answer(a);
            if (status == 0) {
                java.io.PrintWriter out = out();
                out.println(operation() + ": " + JSON.readTree(a.body()).get("count").asLong() + " messages");
                out.flush();
            }
            return status;
        }
    }

    /** A change that may name everything with {@code --all}. */
    abstract static class ChangeAll extends Change {
        @Option(names = "--all", description = "all the mail this command can take")
        boolean everything;

        @Override
        boolean all() {
            return everything;
        }
    }

    @Command(name = "flush", description = "Deferred mail is attempted now (postqueue -f, -s DOMAIN, -i ID).",
            mixinStandardHelpOptions = true)
    static final class Flush extends Change {
        String operation() {
            return "flush";
        }

        String doing() {
            return "flushing";
        }
    }

    @Command(name = "hold", description = "Put mail on hold: never attempted until released (postsuper -h).",
            mixinStandardHelpOptions = true)
    static final class Hold extends ChangeAll {

        String operation() {
            return "hold";
        }

        String doing() {
            return "holding";
        }
    }

    @Command(name = "release", description = "Release held mail; it is attempted at once (postsuper -H).",
            mixinStandardHelpOptions = true)
    static final class Release extends ChangeAll {

        String operation() {
            return "release";
        }

        String doing() {
            return "releasing";
        }
    }

    @Command(name = "requeue", description = "Route mail again from the start, e.g. after a directory change (postsuper -r).",
            mixinStandardHelpOptions = true)
    static final class Requeue extends ChangeAll {

        String operation() {
            return "requeue";
        }

        String doing() {
            return "requeueing";
        }
    }

    @Command(name = "delete", description = "Delete mail without a bounce; logged with who asked (postsuper -d).",
            mixinStandardHelpOptions = true)
    static final class Delete extends Change {
        @Option(names = "--all-deferred", description = "all deferred mail")
        boolean allDeferred;

        String operation() {
            return "delete";
        }

        String doing() {
            return "deleting";
        }

        @Override
        boolean all() {
            return allDeferred;
        }

        @Override
        String extra() {
            return allDeferred ? "&deferred-only=true" : "";
        }
    }
}
