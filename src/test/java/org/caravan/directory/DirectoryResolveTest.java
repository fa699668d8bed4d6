package org.caravan.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class DirectoryResolveTest {
    private static final Mailbox ALICE = new Mailbox("alice@example.test", "Alice", null);
    private static final Mailbox BOB = new Mailbox("bob@example.test", null, null);
    private static final Alias SALES = new Alias("sales@example.test", List.of("alice@example.test", "x@far.test"));
    private static final MailingList FRIENDS = new MailingList("friends@example.test", null, "bob@example.test",
            MailingList.Posters.MEMBERS, List.of(), List.of("bob@example.test", "erin@far.test"));
    private static final MailingList TEAM = new MailingList("team@example.test", "The Team", "alice@example.test",
            MailingList.Posters.MEMBERS, List.of(), List.of("alice@example.test", "friends@example.test"));
    private static final MailingList BOARD = new MailingList("board@example.test", null, "alice@example.test",
            MailingList.Posters.LISTED, List.of("boss@far.test"), List.of("alice@example.test"));
    private static final MailingList OPEN = new MailingList("open@example.test", null, "alice@example.test",
            MailingList.Posters.ANYONE, List.of(), List.of("alice@example.test"));
    private static final Forward DAVE = new Forward("dave@example.test", "dave@newplace.test", true);
    // "alice+work" is defined itself: it wins over sub-addressing
    private static final Alias ALICE_WORK = new Alias("alice+work@example.test", List.of("bob@example.test"));

    private static Directory directory(String separator, Map<String, String> catchAll) {
        return new Directory(List.of("example.test", "example.org"), List.of(ALICE, BOB), Map.of(), separator,
                List.of(SALES, ALICE_WORK), List.of(FRIENDS, TEAM, BOARD, OPEN), List.of(DAVE), catchAll);
    }

    private final Directory d = directory("+", Map.of("example.org", "sales@example.test"));

    @Test
    void exactEntries() {
        assertThat(d.resolve("Alice@Example.Test")).isEqualTo(new Resolution.ToMailbox(ALICE));
        assertThat(d.resolve("sales@example.test")).isEqualTo(new Resolution.ToAlias(SALES));
        assertThat(d.resolve("team@example.test")).isEqualTo(new Resolution.ToList(TEAM));
        assertThat(d.resolve("dave@example.test")).isEqualTo(new Resolution.Moved(DAVE));
        assertThat(d.resolve("nobody@example.test")).isEqualTo(new Resolution.Unknown("nobody@example.test"));
        assertThat(d.resolve("someone@Far.Test")).isEqualTo(new Resolution.Remote("far.test"));
    }

    @Test
    void nestedListIsFoundAndItsMembersCount() {
        MailingList team = ((Resolution.ToList) d.resolve("team@example.test")).list();
        assertThat(team.members()).contains("friends@example.test");
        assertThat(d.resolve(team.members().get(1))).isEqualTo(new Resolution.ToList(FRIENDS));
        assertThat(d.isMember(TEAM, "erin@far.test")).isTrue();
        assertThat(d.isMember(TEAM, "mallory@far.test")).isFalse();
    }

    @Test
    void subaddressingStripsTheTagOnlyWhenTheExactAddressIsUnknown() {
        assertThat(d.resolve("alice+news@example.test")).isEqualTo(new Resolution.ToMailbox(ALICE));
        assertThat(d.resolve("sales+2026@example.test")).isEqualTo(new Resolution.ToAlias(SALES));
        assertThat(d.resolve("team+x+y@example.test")).isEqualTo(new Resolution.ToList(TEAM));
        assertThat(d.resolve("alice+work@example.test")).isEqualTo(new Resolution.ToAlias(ALICE_WORK));
        assertThat(d.resolve("nobody+tag@example.test")).isEqualTo(new Resolution.Unknown("nobody+tag@example.test"));
        // a leading separator is not a tag
        assertThat(d.resolve("+alice@example.test")).isInstanceOf(Resolution.Unknown.class);
        // off: no stripping
        Directory off = directory("", Map.of());
        assertThat(off.resolve("alice+news@example.test")).isInstanceOf(Resolution.Unknown.class);
        Directory dash = directory("-", Map.of());
        assertThat(dash.resolve("alice-news@example.test")).isEqualTo(new Resolution.ToMailbox(ALICE));
    }

    @Test
    void catchAllOnlyWhenNothingElseMatches() {
        Directory c = directory("+", Map.of("example.test", "alice@example.test", "example.org", "sales@example.test"));
        assertThat(c.resolve("nobody@example.test")).isEqualTo(new Resolution.ToMailbox(ALICE));
        assertThat(c.resolve("anything@example.org")).isEqualTo(new Resolution.ToAlias(SALES));
        // exact entries, sub-addresses and postmaster win over the catch-all
        assertThat(c.resolve("bob@example.test")).isEqualTo(new Resolution.ToMailbox(BOB));
        assertThat(c.resolve("dave@example.test")).isEqualTo(new Resolution.Moved(DAVE));
        assertThat(c.resolve("bob+x@example.test")).isEqualTo(new Resolution.ToMailbox(BOB));
        assertThat(c.resolve("postmaster@example.org"))
                .isEqualTo(new Resolution.ToMailbox(new Mailbox("postmaster@example.test", null, null)));
        assertThat(c.resolve("x@far.test")).isEqualTo(new Resolution.Remote("far.test"));
    }

    @Test
    void postmasterAlwaysResolves() {
        Resolution pm = new Resolution.ToMailbox(new Mailbox("postmaster@example.test", null, null));
        assertThat(d.resolve("postmaster")).isEqualTo(pm);
        assertThat(d.resolve("PostMaster@example.org")).isEqualTo(pm);
        assertThat(d.resolve("postmaster+tag@example.test")).isEqualTo(pm);
        assertThat(d.resolve("postmaster@far.test")).isEqualTo(new Resolution.Remote("far.test"));
    }

    @Test
    void whoMayPost() {
        assertThat(d.mayPost(TEAM, "alice@example.test")).isTrue();
        assertThat(d.mayPost(TEAM, "ERIN@far.test")).as("member of a nested list").isTrue();
        assertThat(d.mayPost(TEAM, "mallory@far.test")).isFalse();
        assertThat(d.mayPost(TEAM, "")).as("null sender").isFalse();
        assertThat(d.mayPost(BOARD, "boss@far.test")).isTrue();
        assertThat(d.mayPost(BOARD, "alice@example.test")).as("owner").isTrue();
        assertThat(d.mayPost(BOARD, "bob@example.test")).isFalse();
        assertThat(d.mayPost(OPEN, "mallory@far.test")).isTrue();
        assertThat(d.mayPost(OPEN, "")).isTrue();
    }

    @Test
    void entriesOutsideLocalDomainsOrCollidingAreRejected() {
        assertThatThrownBy(() -> new Directory(List.of("example.test"), List.of(ALICE), Map.of(), "",
                List.of(new Alias("alice@example.test", List.of("bob@example.test"))), List.of(), List.of(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("alias 'alice@example.test' is already defined");
        assertThatThrownBy(() -> new Directory(List.of("example.test"), List.of(), Map.of(), "", List.of(),
                List.of(), List.of(new Forward("x@far.test", "y@far.test", true)), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("forward 'x@far.test' is not in a local domain");
    }

    @Test
    void malformedAddressIsRefused() {
        assertThatThrownBy(() -> d.resolve("nodomain")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.resolve("@example.test")).isInstanceOf(IllegalArgumentException.class);
    }
}
