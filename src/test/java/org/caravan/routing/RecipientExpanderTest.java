package org.caravan.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.caravan.directory.Alias;
import org.caravan.directory.Directory;
import org.caravan.directory.DirectorySource;
import org.caravan.directory.Forward;
import org.caravan.directory.Mailbox;
import org.caravan.directory.MailingList;
import org.caravan.policy.RecipientClassifier;
import org.caravan.srs.SrsRewriter;
import org.junit.jupiter.api.Test;

/** The expand step without a router: parts, senders, trace fields, limits and loops. */
class RecipientExpanderTest {
    private static final SrsRewriter SRS = new SrsRewriter("secret".getBytes(StandardCharsets.UTF_8),
            "example.test", Duration.ofDays(21), Clock.systemUTC());

    private static RecipientExpander expander(List<Alias> aliases, List<MailingList> lists, List<Forward> forwards) {
        Directory d = new Directory(List.of("example.test"),
                List.of(new Mailbox("alice@example.test", null, null), new Mailbox("bob@example.test", null, null)),
                Map.of(), "+", aliases, lists, forwards, Map.of());
        return new RecipientExpander(new RecipientClassifier(new DirectorySource(d), SRS));
    }

    @Test
    void aliasesToAliasesAreFollowedAndDuplicatesRemoved() {
        List<RoutePart> parts = expander(List.of(
                new Alias("a@example.test", List.of("b@example.test", "alice@example.test")),
                new Alias("b@example.test", List.of("alice@example.test", "bob@example.test", "x@far.test"))),
                List.of(), List.of()).expand(List.of("a@example.test", "alice@example.test"), "s@far.test", Set.of(), "Q");
        assertThat(parts).extracting(RoutePart::kind).containsExactly(RoutePart.Kind.LOCAL, RoutePart.Kind.RELAY);
        assertThat(parts.get(0).recipients()).containsExactly("alice@example.test", "bob@example.test");
        assertThat(parts.get(0).prepend()).isEqualTo("Delivered-To: b@example.test\r\nDelivered-To: a@example.test\r\n");
        assertThat(parts.get(1).recipients()).containsExactly("x@far.test");
        assertThat(parts.get(1).sender()).isNull();
        assertThat(parts.get(1).prepend()).isEqualTo(parts.get(0).prepend());
    }

    @Test
    void expansionDeeperThanTheLimitFailsWith546() {
        List<Alias> chain = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            chain.add(new Alias("a" + i + "@example.test", List.of(i == 11 ? "alice@example.test" : "a" + (i + 1) + "@example.test")));
        }
        List<RoutePart> parts = expander(chain, List.of(), List.of()).expand(List.of("a0@example.test"), "s@far.test",
                Set.of(), "Q");
        assertThat(parts).hasSize(1);
        assertThat(parts.get(0).kind()).isEqualTo(RoutePart.Kind.UNROUTABLE);
        assertThat(parts.get(0).failures().get(0).status()).isEqualTo("5.4.6");
    }

    @Test
    void listMailGoesFromTheOwnerAddressAndFailuresGoThereToo() {
        MailingList team = new MailingList("team@example.test", "Team", "alice@example.test",
                MailingList.Posters.ANYONE, List.of(), List.of("bob@example.test", "nobody@example.test"));
        List<RoutePart> parts = expander(List.of(), List.of(team), List.of())
                .expand(List.of("team@example.test"), "s@far.test", Set.of(), "Q");
        assertThat(parts).hasSize(2);
        assertThat(parts.get(0).sender()).isEqualTo("owner-team@example.test");
        assertThat(parts.get(0).prepend()).isEqualTo("Delivered-To: team@example.test\r\nList-Id: Team <team.example.test>\r\n");
        assertThat(parts.get(1).kind()).isEqualTo(RoutePart.Kind.UNROUTABLE);
        assertThat(parts.get(1).sender()).isEqualTo("owner-team@example.test");
        assertThat(parts.get(1).failures().get(0).status()).isEqualTo("5.1.1");
    }

    @Test
    void forwardMarksThePartForTheForwardStageAndSrsBouncesAreReversed() throws Exception {
        RecipientExpander e = expander(List.of(), List.of(),
                List.of(new Forward("dave@example.test", "dave@newplace.test", true)));
        List<RoutePart> parts = e.expand(List.of("dave@example.test"), "s@far.test", Set.of(), "Q");
        assertThat(parts.get(0).recipients()).containsExactly("dave@newplace.test");
        // The forward stage (Forwarder) rewrites the sender of this part with SRS.
        assertThat(parts.get(0).forwarded()).isTrue();
        assertThat(parts.get(0).sender()).isNull();

        String srsSender = SRS.forward("s@far.test");
        List<RoutePart> back = e.expand(List.of(srsSender), "", Set.of(), "Q");
        assertThat(back).hasSize(1);
        assertThat(back.get(0).kind()).isEqualTo(RoutePart.Kind.RELAY);
        assertThat(back.get(0).recipients()).containsExactly("s@far.test");
    }

    @Test
    void deliveredToFieldsAreReadFromTheHeaderSectionOnly() throws Exception {
        String message = "Received: x\r\nDELIVERED-TO: <Sales@Example.test>\r\nDelivered-To:\r\n bob@example.test\r\n"
                + "Subject: s\r\n\r\nDelivered-To: alice@example.test\r\n";
        assertThat(DeliveredTo.read(new ByteArrayInputStream(message.getBytes(StandardCharsets.US_ASCII))))
                .containsExactly("sales@example.test", "bob@example.test");
        List<RoutePart> parts = expander(List.of(), List.of(), List.of())
                .expand(List.of("bob@example.test", "alice@example.test"), "s@far.test",
                        Set.of("sales@example.test", "bob@example.test"), "Q");
        assertThat(parts.get(0).recipients()).containsExactly("alice@example.test");
        assertThat(parts.get(1).failures().get(0).status()).isEqualTo("5.4.6");
    }
}
