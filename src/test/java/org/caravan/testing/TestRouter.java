package org.caravan.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import java.util.Enumeration;
import jakarta.jms.JMSException;
import jakarta.jms.QueueBrowser;
import jakarta.jms.Session;

import org.apache.camel.CamelContext;
import org.apache.camel.component.jms.JmsComponent;
import org.apache.camel.main.Main;
import org.caravan.Caravan;

/**
 * A real router in this JVM: the real route files from {@code routes/}, the real
 * {@code broker/broker.xml} with a persistent journal in a temp directory, the three SMTP listeners
 * (MTA, submission, submissions) on free ports of 127.0.0.1, TLS with the self-signed development
 * certificate. Settings are the same {@code caravan.*} properties an operator sets.
 */
public final class TestRouter implements AutoCloseable {
    public static final String HOSTNAME = "mx.caravan.test";
    public static final String DEFAULT_DIRECTORY = """
            domains: [example.test]
            mailboxes:
              - address: alice@example.test
                name: Alice Example
              - address: bob@example.test
                name: Bob Example
              - address: postmaster@example.test
            """;

    private static final java.util.regex.Pattern QUEUED =
            java.util.regex.Pattern.compile("^250 2\\.0\\.0 Queued as (\\S+)$");

    private final Main main;
    private final Path dataDir;
    private final Map<String, String> props;

    private TestRouter(Main main, Map<String, String> props) {
        this.main = main;
        this.dataDir = Path.of(props.get("caravan.data.dir"));
        this.props = props;
    }

    /** Starts a router with {@code dir} as its temp root; {@code settings} override the defaults. */
    public static TestRouter start(Path dir, Map<String, String> settings) {
        try {
            Map<String, String> props = defaults(dir);
            props.putAll(settings);
            Main main = Caravan.newMain(props);
            try {
                main.start();
            } catch (RuntimeException e) {
                main.stop(); // a failed start must not leave a broker running in this JVM
                throw e;
            }
            return new TestRouter(main, props);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a router whose directory is example.test with exactly {@code mailboxes}; {@code settings} as in {@link #start}. */
    public static TestRouter startWithMailboxes(Path dir, Map<String, String> settings, String... mailboxes)
            throws IOException {
        StringBuilder directory = new StringBuilder("domains: [example.test]\nmailboxes:\n");
        for (String mailbox : mailboxes) {
            directory.append("  - address: ").append(mailbox).append('\n');
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("directory.yaml"), directory, StandardCharsets.UTF_8);
        return start(dir, settings);
    }

    /** The settings a test router starts with: everything under {@code dir}, loopback only. */
    public static Map<String, String> defaults(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path directory = dir.resolve("directory.yaml");
        if (!Files.exists(directory)) {
            Files.writeString(directory, DEFAULT_DIRECTORY, StandardCharsets.UTF_8);
        }
        Map<String, String> props = new HashMap<>();
        props.put("caravan.hostname", HOSTNAME);
        props.put("caravan.smtp.bind", "127.0.0.1");
        props.put("caravan.smtp.port", String.valueOf(freePort()));
        props.put("caravan.submission.port", String.valueOf(freePort()));
        props.put("caravan.submissions.port", String.valueOf(freePort()));
        props.put("caravan.data.dir", dir.resolve("data").toString());
        props.put("caravan.directory.file", directory.toString());
        props.put("caravan.routes.dir", projectPath("routes").toString());
        props.put("caravan.broker.config", projectPath("broker/broker.xml").toString());
        props.put("caravan.mynetworks", "127.0.0.1/32,::1");
        props.put("caravan.relay.concurrency", "4");
        return props;
    }

    /** A copy of the shipped routes folder (gateways/ included) as {@code dir}/routes, for a test that edits or adds route files. */
    public static Path copyShippedRoutes(Path dir) throws IOException {
        Path from = projectPath("routes");
        Path to = dir.resolve("routes");
        try (java.util.stream.Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }

    /**
     * A separate Artemis broker, started: the shipped broker.xml with a TCP acceptor on loopback
     * {@code port} instead of the in-VM one, its data under {@code dir}/external-data. For
     * {@code caravan.broker.url=tcp://127.0.0.1:port}; stop it when done.
     */
    public static org.caravan.runtime.EmbeddedBroker externalBroker(Path dir, int port) throws Exception {
        Path config = dir.resolve("external-broker.xml");
        Files.writeString(config, Files.readString(projectPath("broker/broker.xml"), StandardCharsets.UTF_8)
                .replace("<acceptor name=\"in-vm\">vm://0</acceptor>",
                        "<acceptor name=\"tcp\">tcp://127.0.0.1:" + port + "</acceptor>"), StandardCharsets.UTF_8);
        org.caravan.runtime.EmbeddedBroker broker = new org.caravan.runtime.EmbeddedBroker(config, dir.resolve("external-data"));
        broker.start();
        return broker;
    }

    /**
     * A copy of the shipped broker.xml as {@code dir}/broker.xml with an anycast address and queue
     * for each of {@code queues} (what an operator adds for a JMS gateway); its path, for
     * caravan.broker.config.
     */
    public static Path brokerConfigWithQueues(Path dir, String... queues) throws IOException {
        StringBuilder extra = new StringBuilder();
        for (String q : queues) {
            extra.append("<address name=\"").append(q).append("\"><anycast><queue name=\"").append(q)
                    .append("\"/></anycast></address>\n      ");
        }
        Path broker = dir.resolve("broker.xml");
        Files.writeString(broker, Files.readString(projectPath("broker/broker.xml"))
                .replace("<address name=\"caravan.held\">", extra + "<address name=\"caravan.held\">"));
        return broker;
    }

    public static Path projectPath(String relative) {
        return Path.of(relative).toAbsolutePath().normalize();
    }

    /**
     * A port for a listener the router binds itself (a setting, not port 0), free right now. Chosen
     * below the kernel's ephemeral range (32768-60999 on Linux): a port from that range, released
     * here, can be handed to any outgoing connection (the router's own SMTP client, a test's) before
     * the listener binds it, which failed tests with "Address already in use".
     */
    public static int freePort() throws IOException {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int tries = 0; tries < 200; tries++) {
            int port = random.nextInt(20_000, 32_768);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free port below the ephemeral range");
    }

    public int smtpPort() {
        return Integer.parseInt(props.get("caravan.smtp.port"));
    }

    /** The submission listener's port (RFC 6409, STARTTLS), whether or not it is enabled. */
    public int submissionPort() {
        return Integer.parseInt(props.get("caravan.submission.port"));
    }

    /** The implicit-TLS submission listener's port (RFC 8314), whether or not it is enabled. */
    public int submissionsPort() {
        return Integer.parseInt(props.get("caravan.submissions.port"));
    }

    /** The certificate the listeners present, for clients that must trust it. */
    public java.security.cert.X509Certificate tlsCertificate() {
        return camel().getRegistry().lookupByNameAndType("serverTls", org.caravan.tls.ServerTls.class).certificate();
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path maildir(String mailbox) {
        int at = mailbox.lastIndexOf('@');
        return dataDir.resolve("mailboxes").resolve(mailbox.substring(at + 1)).resolve(mailbox.substring(0, at))
                .resolve("Maildir");
    }

    public CamelContext camel() {
        return main.getCamelContext();
    }

    public SmtpTranscript connect() throws IOException {
        return SmtpTranscript.connect("127.0.0.1", smtpPort());
    }

    /** A connection to the SMTP port that has read the 220 greeting. */
    public SmtpTranscript greeted() throws IOException {
        SmtpTranscript t = connect();
        t.expect("220");
        return t;
    }

    /** The files in {@code mailbox}'s Maildir new/, none while that folder does not exist yet. */
    public java.util.List<Path> newMail(String mailbox) throws IOException {
        Path folder = maildir(mailbox).resolve("new");
        if (!Files.isDirectory(folder)) {
            return java.util.List.of();
        }
        try (java.util.stream.Stream<Path> list = Files.list(folder)) {
            return list.toList();
        }
    }

    /** A refused message left no trace: nothing on the inbound queue, no Maildir file, now or shortly after. */
    public void assertNothingDelivered(String... mailboxes) {
        org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(700))
                .atMost(java.time.Duration.ofSeconds(3)).until(() -> {
                    for (String mailbox : mailboxes) {
                        if (!newMail(mailbox).isEmpty()) {
                            return false;
                        }
                    }
                    return queueDepth("caravan.inbound") == 0;
                });
    }

    /** The queue id in a "250 2.0.0 Queued as ID" reply, asserting the reply has that form. */
    public static String queueId(String reply) {
        java.util.regex.Matcher m = QUEUED.matcher(reply);
        org.assertj.core.api.Assertions.assertThat(m.matches()).as(reply).isTrue();
        return m.group(1);
    }

    /** Number of messages waiting in a broker queue, seen through a JMS browser. */
    public int queueDepth(String queue) throws JMSException {
        int count = 0;
        for (jakarta.jms.Message ignored : browse(queue)) {
            count++;
        }
        return count;
    }

    /** The messages waiting in a broker queue (their properties; bodies are not read). */
    public java.util.List<jakarta.jms.Message> browse(String queue) throws JMSException {
        ConnectionFactory factory = camel().getComponent("jms", JmsComponent.class).getConfiguration()
                .getConnectionFactory();
        java.util.List<jakarta.jms.Message> result = new java.util.ArrayList<>();
        try (Connection connection = factory.createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            QueueBrowser browser = session.createBrowser(session.createQueue(queue));
            Enumeration<?> messages = browser.getEnumeration();
            while (messages.hasMoreElements()) {
                result.add((jakarta.jms.Message) messages.nextElement());
            }
        }
        return result;
    }

    /**
     * Messages held back by the embedded broker until their scheduled time (retries waiting on
     * caravan.deferred): a JMS browser does not see them until they are due.
     */
    public java.util.List<org.apache.activemq.artemis.api.core.Message> scheduled(String queue) {
        org.apache.activemq.artemis.core.server.Queue q = brokerQueue(queue);
        java.util.List<org.apache.activemq.artemis.api.core.Message> result = new java.util.ArrayList<>();
        for (org.apache.activemq.artemis.core.server.MessageReference ref : q.getScheduledMessages()) {
            result.add(ref.getMessage());
        }
        return result;
    }

    /** How many messages the embedded broker has put on a queue since it started. */
    public long messagesAdded(String queue) {
        return brokerQueue(queue).getMessagesAdded();
    }

    private org.apache.activemq.artemis.core.server.Queue brokerQueue(String queue) {
        org.caravan.runtime.EmbeddedBroker broker = camel().getRegistry().lookupByNameAndType("broker",
                org.caravan.runtime.EmbeddedBroker.class);
        return broker.server().locateQueue(org.apache.activemq.artemis.api.core.SimpleString.of(queue));
    }

    @Override
    public void close() {
        main.stop();
    }
}
