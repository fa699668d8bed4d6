package org.caravan.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

import org.caravan.directory.Alias;
import org.caravan.directory.Directory;
import org.caravan.directory.DirectorySource;
import org.caravan.directory.Forward;
import org.caravan.directory.Mailbox;
import org.caravan.directory.MailingList;
import org.caravan.mail.RcptRequest;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;
import org.junit.jupiter.api.Test;

/** RCPT answers for aliases, lists and moved users (RFC 5321 §3.4, §3.5.5). */
class RecipientChecksDirectoryTest {
    private static final Alias SALES = new Alias("sales@example.test", List.of("alice@example.test", "x@far.test"));
    private static final MailingList TEAM = new MailingList("team@example.test", "The Team", "alice@example.test",
            MailingList.Posters.MEMBERS, List.of(), List.of("alice@example.test", "carol@far.test"));
    private static final MailingList BOARD = new MailingList("board@example.test", null, "alice@example.test",
            MailingList.Posters.LISTED, List.of("boss@far.test"), List.of("alice@example.test"));
    private static final MailingList ALL = new MailingList("all@example.test", null, "alice@example.test",
            MailingList.Posters.ANYONE, List.of(), List.of("team@example.test"));
    private static final Directory DIRECTORY = new Directory(List.of("example.test"),
            List.of(new Mailbox("alice@example.test", "Alice", null)), Map.of(), "+", List.of(SALES),
            List.of(TEAM, BOARD, ALL),
            List.of(new Forward("dave@example.test", "dave@newplace.test", true),
                    new Forward("erin@example.test", "erin@newplace.test", false)),
            Map.of());
    private final RecipientClassifier classifier = new RecipientClassifier(new DirectorySource(DIRECTORY));
    private final ShippedChecks policy = new ShippedChecks(classifier, ClientNetworks.parse("127.0.0.0/8"));

    /** From an untrusted client: these answers must not depend on relay rights. */
    private SmtpReply rcpt(String sender, String recipient) {
        SessionInfo session = new SessionInfo("s1", new InetSocketAddress("203.0.113.9", 40000),
                new InetSocketAddress("127.0.0.1", 25), "client.test", true, false, null);
        return policy.check(new RcptRequest(session, sender, recipient, Map.of()));
    }

    @Test
    void aliasIsAccepted() {
        SmtpReply r = rcpt("someone@far.test", "Sales@example.test");
        assertThat(r.code()).isEqualTo(250);
        assertThat(r.enhanced()).isEqualTo("2.1.5");
        assertThat(rcpt("someone@far.test", "sales+q3@example.test").code()).isEqualTo(250);
        assertThat(classifier.classify("sales@example.test")).isEqualTo(new Destination.Alias(SALES));
    }

    @Test
    void movedUserInForwardModeIsAcceptedWith251() {
        SmtpReply r = rcpt("someone@far.test", "dave@example.test");
        assertThat(r.code()).isEqualTo(251);
        assertThat(r.enhanced()).isEqualTo("2.1.5");
        assertThat(r.lines()).containsExactly("User not local; will forward to <dave@newplace.test>");
        assertThat(r.isPositive()).as("the session adds the recipient").isTrue();
    }

    @Test
    void movedUserInRefuseModeIsRefusedWith551() {
        SmtpReply r = rcpt("someone@far.test", "erin@example.test");
        assertThat(r.code()).isEqualTo(551);
        assertThat(r.enhanced()).isEqualTo("5.1.6");
        assertThat(r.lines()).containsExactly("User not local; please try <erin@newplace.test>");
        assertThat(r.isPositive()).isFalse();
    }

    @Test
    void membersOnlyListRefusesOutsiders() {
        SmtpReply r = rcpt("mallory@far.test", "team@example.test");
        assertThat(r.code()).isEqualTo(550);
        assertThat(r.enhanced()).isEqualTo("5.7.1");
        assertThat(r.lines()).containsExactly("<mallory@far.test> is not allowed to post to <team@example.test>");
        assertThat(rcpt("", "team@example.test").code()).as("null sender").isEqualTo(550);
        assertThat(rcpt("Carol@Far.Test", "team@example.test").code()).isEqualTo(250);
        assertThat(rcpt("alice@example.test", "team@example.test").code()).isEqualTo(250);
    }

    @Test
    void listedPostersOnly() {
        assertThat(rcpt("boss@far.test", "board@example.test").code()).isEqualTo(250);
        assertThat(rcpt("alice@example.test", "board@example.test").code()).as("owner").isEqualTo(250);
        SmtpReply r = rcpt("carol@far.test", "board@example.test");
        assertThat(r.code()).isEqualTo(550);
        assertThat(r.enhanced()).isEqualTo("5.7.1");
    }

    @Test
    void openListAcceptsAnyone() {
        SmtpReply r = rcpt("mallory@far.test", "all@example.test");
        assertThat(r.code()).isEqualTo(250);
        assertThat(r.enhanced()).isEqualTo("2.1.5");
    }

    @Test
    void unknownLocalUserIsStill550() {
        SmtpReply r = rcpt("someone@far.test", "nobody@example.test");
        assertThat(r.code()).isEqualTo(550);
        assertThat(r.enhanced()).isEqualTo("5.1.1");
    }
}
