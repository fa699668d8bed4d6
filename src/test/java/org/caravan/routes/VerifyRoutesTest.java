package org.caravan.routes;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.model.BeanDefinition;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.caravan.directory.Alias;
import org.caravan.directory.Directory;
import org.caravan.directory.DirectorySource;
import org.caravan.directory.Forward;
import org.caravan.directory.Mailbox;
import org.caravan.directory.MailingList;
import org.caravan.mail.RcptRequest;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;
import org.caravan.policy.ClientNetworks;
import org.caravan.policy.DisclosurePolicy;
import org.caravan.policy.ListPostingCheck;
import org.caravan.policy.LocalRecipientCheck;
import org.caravan.policy.MovedUserCheck;
import org.caravan.policy.RecipientClassifier;
import org.caravan.policy.RelayControlCheck;
import org.caravan.policy.ShippedChecks;
import org.caravan.policy.SrsAddressCheck;
import org.caravan.srs.SrsRewriter;
import org.caravan.testing.TestDnsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The verify stage with Camel Test: the real routes/verify.camel.yaml (its DNSBL bean included,
 * pointed at a test DNS server that lists 203.0.113.66 in bl.test) with the real check beans over
 * a small directory. Each check answers its own case, the first answer wins, and a chain in which
 * no check answers defers rather than accepts.
 */
class VerifyRoutesTest extends CamelTestSupport {
    private static final SrsRewriter SRS = new SrsRewriter("secret".getBytes(StandardCharsets.UTF_8),
            "example.test", Duration.ofDays(21), Clock.systemUTC());
    private static final Directory DIRECTORY = new Directory(List.of("example.test"),
            List.of(new Mailbox("alice@example.test", null, null)), Map.of(), "+",
            List.of(new Alias("sales@example.test", List.of("alice@example.test"))),
            List.of(new MailingList("team@example.test", null, "alice@example.test", MailingList.Posters.MEMBERS,
                    List.of(), List.of("alice@example.test"))),
            List.of(new Forward("dave@example.test", "dave@newplace.test", true),
                    new Forward("erin@example.test", "erin@newplace.test", false)),
            Map.of());
    private static final String LISTED = "203.0.113.66";
    private static final String UNLISTED = "203.0.113.9";

    private TestDnsServer dns;

    @Override
    public boolean isUseAdviceWith() {
        return true;
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        dns = TestDnsServer.start().a("66.113.0.203.bl.test", "127.0.0.2");
        CamelContext context = super.createCamelContext();
        Properties p = new Properties();
        p.setProperty("caravan.verify.dnsbl-zones", "bl.test");
        p.setProperty("caravan.dns.server", dns.address());
        p.setProperty("caravan.dns.timeout", "2s");
        p.setProperty("caravan.queue.max-deliveries", "5");
        p.setProperty("caravan.mynetworks", "127.0.0.0/8");
        context.getPropertiesComponent().setInitialProperties(p);
        RecipientClassifier classifier = new RecipientClassifier(new DirectorySource(DIRECTORY), SRS);
        ClientNetworks trusted = ClientNetworks.parse("127.0.0.0/8");
        context.getRegistry().bind("recipientClassifier", classifier);
        context.getRegistry().bind("srsAddressCheck", new SrsAddressCheck(classifier));
        context.getRegistry().bind("localRecipientCheck", new LocalRecipientCheck());
        context.getRegistry().bind("listPostingCheck", new ListPostingCheck(classifier));
        context.getRegistry().bind("movedUserCheck", new MovedUserCheck());
        context.getRegistry().bind("relayControlCheck", new RelayControlCheck(trusted, classifier, new org.caravan.policy.RecipientCallout(
                        r -> { throw new AssertionError("no relay domain verifies by callout here: " + r); }, java.time.Clock.systemUTC())));
        // the file's vrfy and expn routes (VrfyExpnTest covers them over SMTP)
        context.getRegistry().bind("disclosurePolicy", new DisclosurePolicy(new DirectorySource(DIRECTORY), trusted,
                DisclosurePolicy.Mode.TRUSTED, DisclosurePolicy.Mode.TRUSTED));
        return context;
    }

    @AfterEach
    void stopDns() throws InterruptedException {
        dns.close();
    }

    private void load() throws Exception {
        for (String file : List.of("errors.camel.yaml", "verify.camel.yaml")) {
            PluginHelper.getRoutesLoader(context).loadRoutes(
                    ResourceHelper.resolveResource(context, "file:" + Path.of("routes", file)));
        }
    }

    private SmtpReply rcpt(String clientIp, String user, String sender, String recipient) {
        SessionInfo session = new SessionInfo("s1", new InetSocketAddress(clientIp, 40000),
                new InetSocketAddress("127.0.0.1", 25), "client.test", true, false, user);
        return template.requestBody("direct:verify", new RcptRequest(session, sender, recipient, Map.of()),
                SmtpReply.class);
    }

    private SmtpReply untrusted(String recipient) {
        return rcpt(UNLISTED, null, "someone@far.test", recipient);
    }

    @Test
    void theRouteRunsTheShippedChecksInTheDocumentedOrder() throws Exception {
        load();
        List<String> refs = context.getCamelContextExtension().getContextPlugin(ModelCamelContext.class)
                .getRouteDefinition("verify").getOutputs().stream()
                .filter(BeanDefinition.class::isInstance).map(d -> ((BeanDefinition) d).getRef()).toList();
        assertThat(refs).isEqualTo(ShippedChecks.BEAN_NAMES);
    }

    @Test
    void eachCheckAnswersItsOwnCase() throws Exception {
        load();
        context.start();
        assertThat(untrusted("alice@example.test").toString()).startsWith("250 2.1.5");
        assertThat(untrusted("sales@example.test").toString()).startsWith("250 2.1.5");
        assertThat(untrusted("bob@example.test").toString()).isEqualTo("550 5.1.1 <bob@example.test>: No such user here");
        assertThat(untrusted("team@example.test").toString()).startsWith("550 5.7.1 <someone@far.test> is not allowed");
        assertThat(rcpt(UNLISTED, null, "alice@example.test", "team@example.test").code()).isEqualTo(250);
        assertThat(untrusted("dave@example.test").toString()).startsWith("251 2.1.5 User not local; will forward");
        assertThat(untrusted("erin@example.test").toString()).startsWith("551 5.1.6 User not local; please try");
        assertThat(untrusted("x@far.test").toString()).isEqualTo("554 5.7.1 <x@far.test>: Relay access denied");
        assertThat(rcpt("127.0.0.1", null, "a@b.test", "x@far.test").code()).isEqualTo(250);
        assertThat(rcpt(UNLISTED, "alice", "a@b.test", "x@far.test").code()).isEqualTo(250);
        String bounceAddress = SRS.forward("someone@far.test");
        assertThat(untrusted(bounceAddress).code()).as("a genuine SRS bounce address").isEqualTo(250);
        assertThat(untrusted(bounceAddress.replaceFirst("=[^=]+=", "=AAAA=")).toString())
                .startsWith("550 5.7.1").contains("Invalid SRS address");
        assertThat(untrusted("no-domain").toString()).startsWith("501 5.1.3");
    }

    @Test
    void aListedClientIsRefusedBeforeAnyRecipientCheck() throws Exception {
        load();
        context.start();
        SmtpReply r = rcpt(LISTED, null, "someone@far.test", "alice@example.test");
        assertThat(r.toString()).isEqualTo(
                "554 5.7.1 Service unavailable; Client host [" + LISTED + "] blocked using bl.test");
        int queries = dns.queryCount();
        assertThat(rcpt(LISTED, null, "someone@far.test", "sales@example.test").code()).isEqualTo(554);
        assertThat(dns.queryCount()).as("the second recipient reuses the answer").isEqualTo(queries);
        assertThat(rcpt(LISTED, "alice", "someone@far.test", "alice@example.test").code())
                .as("an authenticated client is not looked up").isEqualTo(250);
    }

    @Test
    void withNoCheckAnsweringTheRecipientIsDeferredNotAccepted() throws Exception {
        load();
        AdviceWith.adviceWith(context, "verify", a -> a.weaveByToString(".*relayControlCheck.*").remove());
        context.start();
        assertThat(untrusted("x@far.test").toString()).startsWith("451 4.3.5");
        assertThat(untrusted("alice@example.test").code()).isEqualTo(250);
    }
}
