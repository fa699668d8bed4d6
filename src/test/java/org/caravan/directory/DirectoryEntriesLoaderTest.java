package org.caravan.directory;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The aliases, lists, forwards, catch-all and sub-addressing keys, and their errors with lines. */
class DirectoryEntriesLoaderTest {
    @TempDir
    Path dir;

    private static final String HEAD = """
            domains: [example.test, example.org]
            mailboxes:
              - address: alice@example.test
              - address: bob@example.test
            """; // four lines: the first line of a test's own text is line 5

    private Path write(String yaml) throws IOException {
        Path file = dir.resolve("directory.yaml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        return file;
    }

    private Directory load(String yaml) throws IOException {
        return DirectoryLoader.load(write(HEAD + yaml));
    }

    private DirectoryException failure(String yaml) throws IOException {
        Path file = write(HEAD + yaml);
        try {
            DirectoryLoader.load(file);
        } catch (DirectoryException e) {
            assertThat(e.file()).isEqualTo(file);
            return e;
        }
        throw new AssertionError("expected a DirectoryException for:\n" + yaml);
    }

    private void assertError(String yaml, int line, String problem) throws IOException {
        DirectoryException e = failure(yaml);
        assertThat(e.line()).as(e.getMessage()).isEqualTo(line);
        assertThat(e.getMessage()).isEqualTo(dir.resolve("directory.yaml") + ":" + line + ": " + problem);
    }

    @Test
    void loadsEveryNewKey() throws IOException {
        Directory d = load("""
                subaddressing: "+"
                aliases:
                  Sales@Example.test: [alice@example.test, Bob@example.test, someone@far.test]
                lists:
                  - address: team@example.test
                    name: The Team
                    owner: alice@example.test
                    posters: listed
                    allowed: [boss@far.test]
                    members: [alice@example.test, friends@example.test, carol@far.test]
                  - address: friends@example.test
                    owner: bob@example.test
                    members: [bob@example.test]
                forwards:
                  - address: dave@example.test
                    to: dave@newplace.test
                    mode: forward
                  - address: erin@example.test
                    to: erin@newplace.test
                    mode: refuse
                  - address: frank@example.test
                    to: frank@newplace.test
                catch-all:
                  example.org: postmaster@example.org
                """);
        assertThat(d.subaddressSeparator()).isEqualTo("+");
        assertThat(d.alias("sales@example.test")).contains(new Alias("sales@example.test",
                List.of("alice@example.test", "bob@example.test", "someone@far.test")));
        assertThat(d.list("TEAM@example.test")).contains(new MailingList("team@example.test", "The Team",
                "alice@example.test", MailingList.Posters.LISTED, List.of("boss@far.test"),
                List.of("alice@example.test", "friends@example.test", "carol@far.test")));
        assertThat(d.list("team@example.test").orElseThrow().bounceAddress()).isEqualTo("owner-team@example.test");
        // posters defaults to members
        assertThat(d.list("friends@example.test").orElseThrow().posters()).isEqualTo(MailingList.Posters.MEMBERS);
        assertThat(d.forward("dave@example.test")).contains(new Forward("dave@example.test", "dave@newplace.test", true));
        assertThat(d.forward("erin@example.test")).contains(new Forward("erin@example.test", "erin@newplace.test", false));
        // mode defaults to forward
        assertThat(d.forward("frank@example.test").orElseThrow().relay()).isTrue();
        assertThat(d.catchAll("EXAMPLE.ORG")).contains("postmaster@example.org");
        assertThat(d.catchAll("example.test")).isEmpty();
    }

    @Test
    void everythingIsOptional() throws IOException {
        Directory d = load("");
        assertThat(d.subaddressSeparator()).isEmpty();
        assertThat(d.alias("sales@example.test")).isEmpty();
        assertThat(d.list("team@example.test")).isEmpty();
        assertThat(d.forward("dave@example.test")).isEmpty();
        assertThat(d.catchAll("example.test")).isEmpty();
    }

    @Test
    void sampleFileStillLoads() {
        Directory d = DirectoryLoader.load(Path.of("config/directory.yaml"));
        assertThat(d.mailbox("alice@example.test")).isPresent();
    }

    @Test
    void subaddressingSeparatorIsOneSpecialCharacter() throws IOException {
        assertError("subaddressing: \"++\"\n", 5,
                "'subaddressing' must be one character of +-_=#~!$%&'*/?^`{|}, not '++'");
        assertError("subaddressing: \"@\"\n", 5,
                "'subaddressing' must be one character of +-_=#~!$%&'*/?^`{|}, not '@'");
    }

    @Test
    void aliasErrors() throws IOException {
        assertError("""
                aliases:
                  sales@far.test: [alice@example.test]
                """, 6, "alias 'sales@far.test' is not in a local domain");
        assertError("""
                aliases:
                  alice@example.test: [bob@example.test]
                """, 6, "alias 'alice@example.test' is already defined (first on line 3)");
        assertError("""
                aliases:
                  sales@example.test: []
                """, 6, "alias 'sales@example.test' has no targets");
        assertError("""
                aliases:
                  sales@example.test: [alice@example.test, not-an-address]
                """, 6, "malformed address 'not-an-address' (expected local@domain)");
        assertError("""
                aliases:
                  sales@example.test:
                    - alice@example.test
                    - nobody@example.test
                """, 8, "'nobody@example.test' is in a local domain but is not defined here");
        assertError("""
                aliases:
                  sales@example.test: [sales@example.test]
                """, 6, "alias 'sales@example.test' points to itself");
    }

    @Test
    void listErrors() throws IOException {
        assertError("""
                lists:
                  - address: team@example.test
                    members: [alice@example.test]
                """, 6, "list 'team@example.test' without 'owner' (who receives its bounces)");
        assertError("""
                lists:
                  - address: team@example.test
                    owner: alice@example.test
                    posters: everybody
                """, 8, "'posters' must be anyone, members or listed, not 'everybody'");
        assertError("""
                lists:
                  - address: team@example.test
                    owner: alice@example.test
                    memebers: [alice@example.test]
                """, 8, "unknown key 'memebers' in a list (expected one of [address, allowed, members, name, owner, posters])");
        assertError("""
                aliases:
                  team@example.test: [alice@example.test]
                lists:
                  - address: team@example.test
                    owner: alice@example.test
                """, 8, "list 'team@example.test' is already defined (first on line 6)");
        assertError("""
                lists:
                  - address: team@other.test
                    owner: alice@example.test
                """, 6, "list 'team@other.test' is not in a local domain");
        assertError("""
                lists:
                  - address: team@example.test
                    owner: alice@example.test
                    posters: listed
                """, 6, "list 'team@example.test' has 'posters: listed' but no 'allowed'");
        assertError("""
                lists:
                  - address: team@example.test
                    owner: alice@example.test
                    members: [alice@example.test, ghost@example.test]
                """, 8, "'ghost@example.test' is in a local domain but is not defined here");
    }

    @Test
    void forwardErrors() throws IOException {
        assertError("""
                forwards:
                  - address: dave@example.test
                    to: dave@newplace.test
                    mode: bounce
                """, 8, "'mode' must be forward or refuse, not 'bounce'");
        assertError("""
                forwards:
                  - address: dave@example.test
                """, 6, "forward 'dave@example.test' without 'to' (the new address)");
        assertError("""
                forwards:
                  - address: bob@example.test
                    to: bob@newplace.test
                """, 6, "forward 'bob@example.test' is already defined (first on line 4)");
        assertError("""
                forwards:
                  - address: dave@example.test
                    to: dave@newplace.test
                    via: smtp
                """, 8, "unknown key 'via' in a forward (expected one of [address, mode, to])");
    }

    @Test
    void catchAllErrors() throws IOException {
        assertError("""
                catch-all:
                  far.test: alice@example.test
                """, 6, "catch-all for 'far.test', which is not a local domain");
        assertError("""
                catch-all:
                  example.org: someone@far.test
                """, 6, "catch-all target 'someone@far.test' is not in a local domain");
        assertError("""
                catch-all:
                  example.org: ghost@example.test
                """, 6, "catch-all target 'ghost@example.test' must be a mailbox, alias or list defined here");
        assertError("""
                forwards:
                  - address: dave@example.test
                    to: dave@newplace.test
                catch-all:
                  example.org: dave@example.test
                """, 9, "catch-all target 'dave@example.test' must be a mailbox, alias or list defined here");
    }
}
