package org.caravan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

import org.caravan.directory.Directory;
import org.caravan.directory.DirectorySource;
import org.caravan.directory.Mailbox;
import org.caravan.mail.RcptRequest;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;
import org.junit.jupiter.api.Test;

class RecipientChecksTest {
    private static final Directory DIRECTORY = new Directory(
            List.of("example.test", "example.org"),
            List.of(new Mailbox("alice@example.test", "Alice", null),
                    new Mailbox("postmaster@example.org", null, null)),
            Map.of());
    private final RecipientClassifier classifier = new RecipientClassifier(new DirectorySource(DIRECTORY));
    private final ShippedChecks policy =
            new ShippedChecks(classifier, ClientNetworks.parse("127.0.0.0/8, ::1, 192.168.0.0/16"));

    private static SessionInfo session(String ip, String user) {
        return new SessionInfo("s1", new InetSocketAddress(ip, 40000), new InetSocketAddress("127.0.0.1", 25),
                "client.test", true, false, user);
    }

    private SmtpReply rcpt(String ip, String user, String recipient) {
        return policy.check(new RcptRequest(session(ip, user), "sender@far.test", recipient, Map.of()));
    }

    private SmtpReply untrusted(String recipient) {
        return rcpt("203.0.113.9", null, recipient);
    }

    @Test
    void knownLocalRecipientIsAccepted() {
        SmtpReply r = untrusted("alice@example.test");
        assertThat(r.code()).isEqualTo(250);
        assertThat(r.enhanced()).isEqualTo("2.1.5");
        assertThat(untrusted("ALICE@Example.Test").code()).isEqualTo(250);
    }

    @Test
    void unknownLocalRecipientIsRefusedByName() {
        SmtpReply r = untrusted("bob@example.test");
        assertThat(r.code()).isEqualTo(550);
        assertThat(r.enhanced()).isEqualTo("5.1.1");
        assertThat(r.lines()).containsExactly("<bob@example.test>: No such user here");
        // trust does not create mailboxes
        assertThat(rcpt("127.0.0.1", "alice", "bob@example.org").code()).isEqualTo(550);
    }

    @Test
    void postmasterIsAlwaysAccepted() {
        for (String pm : new String[] {"postmaster", "PostMaster", "postmaster@example.test",
                "POSTMASTER@EXAMPLE.ORG"}) {
            SmtpReply r = untrusted(pm);
            assertThat(r.code()).as(pm).isEqualTo(250);
            assertThat(r.enhanced()).as(pm).isEqualTo("2.1.5");
        }
        // ... but only for our domains
        assertThat(untrusted("postmaster@far.test").code()).isEqualTo(554);
    }

    @Test
    void postmasterGoesToItsOwnMailboxOrThePrimaryDomain() {
        assertThat(classifier.classify("postmaster@example.org"))
                .isEqualTo(new Destination.Local("postmaster@example.org"));
        assertThat(classifier.classify("Postmaster@example.test"))
                .isEqualTo(new Destination.Local("postmaster@example.test"));
        assertThat(classifier.classify("postmaster")).isEqualTo(new Destination.Local("postmaster@example.test"));
    }

    @Test
    void classifierSeparatesLocalUnknownAndRemote() {
        assertThat(classifier.classify("Alice@EXAMPLE.test")).isEqualTo(new Destination.Local("alice@example.test"));
        assertThat(classifier.classify("bob@example.test")).isEqualTo(new Destination.NoSuchUser("bob@example.test"));
        assertThat(classifier.classify("bob@Partner.Test")).isEqualTo(new Destination.Remote("partner.test"));
        assertThatThrownBy(() -> classifier.classify("alice")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> classifier.classify("@example.test")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void remoteFromTrustedNetworkIsAccepted() {
        assertThat(rcpt("127.0.0.1", null, "carol@far.test")).satisfies(r -> {
            assertThat(r.code()).isEqualTo(250);
            assertThat(r.enhanced()).isEqualTo("2.1.5");
        });
        assertThat(rcpt("192.168.7.7", null, "carol@far.test").code()).isEqualTo(250);
        assertThat(rcpt("::1", null, "carol@far.test").code()).isEqualTo(250);
    }

    @Test
    void remoteFromUntrustedNetworkIsRelayDenied() {
        SmtpReply r = untrusted("carol@far.test");
        assertThat(r.code()).isEqualTo(554);
        assertThat(r.enhanced()).isEqualTo("5.7.1");
        assertThat(r.lines()).containsExactly("<carol@far.test>: Relay access denied");
        assertThat(rcpt("192.169.0.1", null, "carol@far.test").code()).isEqualTo(554);
        assertThat(rcpt("::2", null, "carol@far.test").code()).isEqualTo(554);
    }

    @Test
    void remoteFromAuthenticatedSessionIsAccepted() {
        SmtpReply r = rcpt("203.0.113.9", "alice@example.test", "carol@far.test");
        assertThat(r.code()).isEqualTo(250);
        assertThat(r.enhanced()).isEqualTo("2.1.5");
    }

    @Test
    void malformedRecipientIsASyntaxError() {
        assertThat(untrusted("alice").code()).isEqualTo(501);
        assertThat(untrusted("alice").enhanced()).isEqualTo("5.1.3");
    }

    @Test
    void nonAsciiRecipientIsNotEchoed() {
        SmtpReply r = untrusted("jöran@far.test");
        assertThat(r.code()).isEqualTo(554);
        assertThat(r.lines()).containsExactly("Relay access denied");
    }
}
