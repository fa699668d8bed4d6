package org.caravan.routes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.component.stub.StubComponent;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.caravan.directory.Alias;
import org.caravan.directory.Directory;
import org.caravan.directory.DirectorySource;
import org.caravan.directory.Forward;
import org.caravan.directory.Mailbox;
import org.caravan.delivery.DeliveryLedger;
import org.caravan.delivery.LocalDelivery;
import org.caravan.delivery.MaildirDelivery;
import org.caravan.directory.MailingList;
import org.caravan.envelope.EnvelopeHeaders;
import org.caravan.envelope.MessageContent;
import org.caravan.envelope.RecipientNotice;
import org.caravan.envelope.RecipientOutcomes;
import org.caravan.policy.RecipientClassifier;
import org.caravan.routing.Forwarder;
import org.caravan.routing.RecipientRouter;
import org.caravan.routing.RoutePart;
import org.caravan.srs.SrsRewriter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The expand stage with Camel Test: the real routes/expand.camel.yaml and errors.camel.yaml, the
 * real RecipientRouter and Forwarder over a small directory, the broker replaced by stub queues
 * and the relay queue and bounce endpoints by mocks; local parts are delivered into a
 * Maildir in a temp directory. Each kind of part takes its
 * branch of the choice, and the list-sender, trace-field and forward steps run exactly when the
 * part calls for them. (ExpansionTest, LocalDeliveryTest and ForwardSrsTest run the same stage
 * over SMTP with a real broker.)
 */
class ExpandRoutesTest extends CamelTestSupport {
    private static final SrsRewriter SRS = new SrsRewriter("secret".getBytes(StandardCharsets.UTF_8),
            "fwd.example.test", Duration.ofDays(21), Clock.systemUTC());
    private static final MailingList TEAM = new MailingList("team@example.test", null, "alice@example.test",
            MailingList.Posters.ANYONE, List.of(), List.of("alice@example.test", "carol@far.test"));
    private static final Directory DIRECTORY = new Directory(List.of("example.test"),
            List.of(new Mailbox("alice@example.test", null, null), new Mailbox("bob@example.test", null, null)),
            Map.of(), "+", List.of(new Alias("sales@example.test", List.of("bob@example.test"))),
            List.of(TEAM),
            List.of(new Forward("dave@example.test", "dave@newplace.test", true)),
            Map.of());

    /** The route file's recipientRouter: the real one over the test directory. */
    public static final class Router {
        private final RecipientRouter real = new RecipientRouter(
                new RecipientClassifier(new DirectorySource(DIRECTORY), SRS));

        public List<RoutePart> plan(Exchange exchange) throws Exception {
            return real.plan(exchange);
        }

        public void preparePart(Exchange exchange) throws Exception {
            real.preparePart(exchange);
        }

        public void useOwnSender(Exchange exchange) {
            real.useOwnSender(exchange);
        }

        public void prependTraceFields(Exchange exchange) {
            real.prependTraceFields(exchange);
        }

        public void failUnroutable(Exchange exchange) {
            real.failUnroutable(exchange);
        }
    }

    @TempDir
    Path dir;
    private MockEndpoint local;
    private MockEndpoint relay;
    private MockEndpoint bounce;

    @Override
    public boolean isUseAdviceWith() {
        return true;
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        Properties p = new Properties();
        p.setProperty("caravan.route.concurrency", "1");
        p.setProperty("caravan.queue.max-deliveries", "5");
        context.getPropertiesComponent().setInitialProperties(p);
        context.addComponent("jms", new StubComponent());
        context.getShutdownStrategy().setTimeout(2);
        context.getRegistry().bind("recipientRouter", new Router());
        context.getRegistry().bind("forwarder", new Forwarder(SRS));
        context.getRegistry().bind("localDelivery", new LocalDelivery(new MaildirDelivery(dir.resolve("mail"), "mx.test", Clock.systemUTC()),
                DeliveryLedger.open(dir.resolve("ledger"), Duration.ofDays(5), Clock.systemUTC()), Clock.systemUTC()));
        return context;
    }

    @BeforeEach
    void loadTheRealRouteFiles() throws Exception {
        for (String file : List.of("errors.camel.yaml", "expand.camel.yaml")) {
            PluginHelper.getRoutesLoader(context).loadRoutes(
                    ResourceHelper.resolveResource(context, "file:" + Path.of("routes", file)));
        }
        // after the real Maildir delivery, instead of the success notice
        AdviceWith.adviceWith(context, "local", a -> a.weaveByToUri("direct:success-notice").replace().to("mock:local"));
        AdviceWith.adviceWith(context, "expand", a -> {
            a.replaceFromWith("direct:inbound"); // synchronous: every branch has run when send returns
            a.weaveByToUri("jms:queue:caravan.relay").replace().to("mock:relay");
            a.weaveByToUri("direct:bounce").replace().to("mock:bounce");
        });
        context.start();
        local = getMockEndpoint("mock:local");
        relay = getMockEndpoint("mock:relay");
        bounce = getMockEndpoint("mock:bounce");
        for (MockEndpoint m : List.of(local, relay, bounce)) {
            m.setSleepForEmptyTest(0);
        }
    }

    private void send(String sender, String... recipients) {
        template.sendBodyAndHeaders("direct:inbound", "Subject: hi\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII),
                Map.of(EnvelopeHeaders.QUEUE_ID, "Q1", EnvelopeHeaders.SENDER, sender,
                        EnvelopeHeaders.RECIPIENTS, EnvelopeHeaders.joinAddresses(List.of(recipients))));
    }

    private void expect(int locals, int relays, int bounces) {
        local.expectedMessageCount(locals);
        relay.expectedMessageCount(relays);
        bounce.expectedMessageCount(bounces);
    }

    private static String header(MockEndpoint m, int i, String name) {
        return m.getReceivedExchanges().get(i).getMessage().getHeader(name, String.class);
    }

    private static String content(MockEndpoint m, int i) throws Exception {
        try (var in = MessageContent.open(m.getReceivedExchanges().get(i))) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void localRecipientsTakeTheLocalBranchUnchanged() throws Exception {
        expect(1, 0, 0);
        send("someone@far.test", "alice@example.test", "bob@example.test");
        MockEndpoint.assertIsSatisfied(context);
        assertThat(header(local, 0, EnvelopeHeaders.RECIPIENTS)).isEqualTo(
                EnvelopeHeaders.joinAddresses(List.of("alice@example.test", "bob@example.test")));
        assertThat(header(local, 0, EnvelopeHeaders.SENDER)).isEqualTo("someone@far.test");
        assertThat(header(local, 0, EnvelopeHeaders.PREPEND)).as("no expansion, no trace fields").isNull();
        assertThat(RecipientOutcomes.get(local.getReceivedExchanges().get(0), RecipientOutcomes.SUCCESSES))
                .extracting(RecipientNotice::recipient).containsExactly("alice@example.test", "bob@example.test");
        try (var files = java.nio.file.Files.walk(dir.resolve("mail"))) {
            assertThat(files.filter(f -> f.getParent().getFileName().toString().equals("new")).count()).isEqualTo(2);
        }
    }

    @Test
    void remoteRecipientsBecomeOneRelayPartPerDomain() throws Exception {
        expect(0, 2, 0);
        send("alice@example.test", "x@far.test", "y@far.test", "z@other.test");
        MockEndpoint.assertIsSatisfied(context);
        assertThat(relay.getReceivedExchanges()).extracting(e -> e.getMessage().getHeader(EnvelopeHeaders.NEXT_HOP))
                .containsExactly("far.test", "other.test");
        assertThat(header(relay, 0, EnvelopeHeaders.ARTEMIS_DUPLICATE_ID)).isEqualTo("Q1:relay:far.test");
        assertThat(header(relay, 0, EnvelopeHeaders.SENDER)).as("not forwarded: no SRS").isEqualTo("alice@example.test");
    }

    @Test
    void listMailLeavesFromTheOwnerWithTraceFields() throws Exception {
        expect(1, 1, 0);
        send("someone@far.test", "team@example.test");
        MockEndpoint.assertIsSatisfied(context);
        assertThat(header(local, 0, EnvelopeHeaders.SENDER)).isEqualTo(
                TEAM.bounceAddress());
        assertThat(header(relay, 0, EnvelopeHeaders.SENDER)).isEqualTo(TEAM.bounceAddress());
        assertThat(content(relay, 0)).startsWith("Delivered-To: team@example.test\r\nList-Id: <team.example.test>\r\n"
                + "Subject: hi");
    }

    @Test
    void anAliasAddsItsDeliveredToButKeepsTheSender() throws Exception {
        expect(1, 0, 0);
        send("someone@far.test", "sales@example.test");
        MockEndpoint.assertIsSatisfied(context);
        assertThat(header(local, 0, EnvelopeHeaders.SENDER)).isEqualTo("someone@far.test");
        assertThat(content(local, 0)).startsWith("Delivered-To: sales@example.test\r\nSubject: hi");
    }

    @Test
    void mailForwardedOffSiteTakesTheForwardStepAndLeavesWithAnSrsSender() throws Exception {
        expect(0, 1, 0);
        send("someone@far.test", "dave@example.test");
        MockEndpoint.assertIsSatisfied(context);
        assertThat(header(relay, 0, EnvelopeHeaders.NEXT_HOP)).isEqualTo("newplace.test");
        String sender = header(relay, 0, EnvelopeHeaders.SENDER);
        assertThat(sender).startsWith("SRS0=").endsWith("@fwd.example.test");
        assertThat(SRS.reverse(sender)).isEqualTo("someone@far.test");
    }

    @Test
    void unroutableRecipientsAreBouncedWithTypedFailures() throws Exception {
        expect(1, 0, 1);
        send("someone@far.test", "nobody@example.test", "alice@example.test");
        MockEndpoint.assertIsSatisfied(context);
        List<RecipientNotice> failures = RecipientOutcomes.get(bounce.getReceivedExchanges().get(0),
                RecipientOutcomes.FAILURES);
        assertThat(failures).extracting(RecipientNotice::recipient, RecipientNotice::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("nobody@example.test", "5.1.1"));
        assertThat(RecipientOutcomes.get(local.getReceivedExchanges().get(0), RecipientOutcomes.FAILURES))
                .as("the local part does not carry the bounce's failures").isEmpty();
    }

    @Test
    void everyKindOfPartHasABranch() {
        List<String> kinds = new ArrayList<>();
        for (RoutePart.Kind k : RoutePart.Kind.values()) {
            kinds.add(k.name());
        }
        String route = readRouteFile();
        assertThat(kinds).allSatisfy(k -> assertThat(route).contains("CaravanPartKind} == '" + k + "'"));
    }

    private static String readRouteFile() {
        try {
            return java.nio.file.Files.readString(Path.of("routes", "expand.camel.yaml"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
