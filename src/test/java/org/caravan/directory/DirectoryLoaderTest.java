package org.caravan.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.caravan.nexthop.Gateway;
import org.caravan.nexthop.NextHop;
import org.caravan.nexthop.TlsPolicy;
import org.caravan.nexthop.TransportEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryLoaderTest {
    @TempDir
    Path dir;

    private Path write(String yaml) throws IOException {
        Path file = dir.resolve("directory.yaml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        return file;
    }

    private DirectoryException failure(String yaml) throws IOException {
        Path file = write(yaml);
        try {
            DirectoryLoader.load(file);
        } catch (DirectoryException e) {
            assertThat(e.file()).isEqualTo(file);
            return e;
        }
        throw new AssertionError("expected a DirectoryException for:\n" + yaml);
    }

    @Test
    void loadsTheSampleFile() {
        Directory d = DirectoryLoader.load(Path.of("config/directory.yaml"));
        assertThat(d.domains()).containsExactly("example.test", "example.org");
        assertThat(d.primaryDomain()).isEqualTo("example.test");
        assertThat(d.isLocalDomain("EXAMPLE.org")).isTrue();
        assertThat(d.isLocalDomain("partner.test")).isFalse();
        assertThat(d.mailbox("Alice@Example.TEST")).hasValueSatisfying(m -> {
            assertThat(m.address()).isEqualTo("alice@example.test");
            assertThat(m.name()).isEqualTo("Alice Example");
            assertThat(m.passwordHash()).isNull();
        });
        assertThat(d.mailbox("postmaster@example.test")).isPresent();
        assertThat(d.mailbox("bob@example.test")).isEmpty();
        assertThat(d.transport()).isEmpty();
    }

    @Test
    void keepsPasswordHashAndParsesNextHopForms() throws IOException {
        Directory d = DirectoryLoader.load(write("""
                domains:
                  - example.test
                mailboxes:
                  - address: Bob@Example.Test
                    password: "$2a$10$YFygSYF2xRwyUdkRgsBnpeN0z9zd2S5nWZqvRDMvb4zoMTTHXuOxq"
                transport:
                  a.test: mx.a.test
                  b.test: "mx.b.test:2525"
                  c.test: "[mail.c.test]"
                  d.test: "[ipv6:2001:db8::1]:587"
                  e.test: "192.0.2.7:2526"
                """));
        assertThat(d.mailbox("bob@example.test").orElseThrow().passwordHash())
                .isEqualTo("$2a$10$YFygSYF2xRwyUdkRgsBnpeN0z9zd2S5nWZqvRDMvb4zoMTTHXuOxq");
        assertThat(d.mailbox("bob@example.test").orElseThrow().toString()).doesNotContain("$2a$");
        assertThat(d.transport("a.test").map(TransportEntry::nextHop)).contains(new NextHop("mx.a.test", 25, true));
        assertThat(d.transport("b.test").map(TransportEntry::nextHop)).contains(new NextHop("mx.b.test", 2525, true));
        assertThat(d.transport("c.test").map(TransportEntry::nextHop)).contains(new NextHop("mail.c.test", 25, false));
        assertThat(d.transport("d.test").map(TransportEntry::nextHop)).contains(new NextHop("2001:db8::1", 587, false));
        // An address is never an MX name (RFC 1123 §2.1), brackets or not.
        assertThat(d.transport("e.test").map(TransportEntry::nextHop)).contains(new NextHop("192.0.2.7", 2526, false));
    }

    @Test
    void transportEntriesMayCarryATlsPolicy() throws IOException {
        Directory d = DirectoryLoader.load(write("""
                domains: [example.test]
                transport:
                  plain.test: "[mx.plain.test]:25"
                  bank.test: { nexthop: "[mx.bank.test]:25", tls: encrypt }
                  secure.test:
                    tls: Verify
                  legacy.test:
                    nexthop: mx.legacy.test
                    tls: none
                """));
        assertThat(d.transport("plain.test")).contains(TransportEntry.of(new NextHop("mx.plain.test", 25, false)));
        assertThat(d.transport("bank.test"))
                .contains(new TransportEntry(new NextHop("mx.bank.test", 25, false), TlsPolicy.ENCRYPT));
        assertThat(d.transport("secure.test")).contains(new TransportEntry(null, TlsPolicy.VERIFY));
        assertThat(d.transport("legacy.test"))
                .contains(new TransportEntry(new NextHop("mx.legacy.test", 25, true), TlsPolicy.NONE));
    }

    @Test
    void badTransportTlsEntriesNameTheirLine() throws IOException {
        assertThat(failure("domains: [example.test]\ntransport:\n  bank.test:\n    tls: required\n")
                .getMessage()).contains(":4: 'tls' must be none, may, encrypt or verify, not 'required'");
        assertThat(failure("domains: [example.test]\ntransport:\n  bank.test: { tls: [encrypt] }\n")
                .getMessage()).contains(":3: 'tls': expected a single value");
        assertThat(failure("domains: [example.test]\ntransport:\n  bank.test:\n    nexthop: x\n    tsl: encrypt\n")
                .getMessage()).contains(":5: unknown key 'tsl' in transport for 'bank.test' (expected one of [addresses, customers, endpoint, format, gateway, hold, max-size, nexthop, tls])");
        assertThat(failure("domains: [example.test]\ntransport:\n  bank.test: {}\n")
                .getMessage()).contains(":3: transport for 'bank.test' is empty (expected 'nexthop', 'tls' and/or 'hold', or 'gateway' or 'endpoint')");
        assertThat(failure("domains: [example.test]\ntransport:\n  bank.test:\n    nexthop: \"[bad\"\n")
                .getMessage()).contains(":4: next hop '[bad': missing ']'");
        assertThat(failure("domains: [example.test]\ntransport:\n  bank.test:\n    tls:\n")
                .getMessage()).contains(":4: 'tls': expected a single value");
    }

    @Test
    void aTransportEntryMayNameAGatewayRouteOrAnEndpointInsteadOfANextHop() throws IOException {
        Directory d = DirectoryLoader.load(write("""
                domains: [example.test]
                transport:
                  orders.test: { gateway: orders }
                  tickets.test: { endpoint: "jms:queue:tickets.inbox", format: json }
                  archive.test:
                    endpoint: "file:/var/mail-archive?fileName=${header.CaravanQueueId}.eml"
                    format: MIME
                    max-size: 1048576
                """));
        assertThat(d.transport("orders.test").map(TransportEntry::gateway))
                .contains(new Gateway("orders", null, Gateway.Format.MIME, 0));
        assertThat(d.transport("orders.test").get().gateway().uri()).isEqualTo("direct:gateway-orders");
        assertThat(d.transport("orders.test").get().gateway().label()).isEqualTo("gateway:orders");
        Gateway tickets = d.transport("tickets.test").get().gateway();
        assertThat(tickets).isEqualTo(new Gateway(null, "jms:queue:tickets.inbox", Gateway.Format.JSON, 0));
        assertThat(tickets.label()).isEqualTo("gateway:jms:queue:tickets.inbox");
        Gateway archive = d.transport("archive.test").get().gateway();
        assertThat(archive.uri()).isEqualTo("file:/var/mail-archive?fileName=${header.CaravanQueueId}.eml");
        assertThat(archive.label()).isEqualTo("gateway:file:/var/mail-archive");
        assertThat(archive.tooBig(1048576)).isFalse();
        assertThat(archive.tooBig(1048577)).isTrue();
        assertThat(d.transport("orders.test").get().nextHop()).isNull();
    }

    @Test
    void aWildcardEntryCoversEverySubdomainAndAnExactEntryWins() throws IOException {
        Directory d = DirectoryLoader.load(write("""
                domains: [example.test]
                transport:
                  "*.branch.test": "[relay.branch.test]"
                  "*.east.branch.test": { gateway: east }
                  hq.branch.test: "[hq.branch.test]:2525"
                """));
        NextHop relay = new NextHop("relay.branch.test", 25, false);
        assertThat(d.transport("a.branch.test").map(TransportEntry::nextHop)).contains(relay);
        assertThat(d.transport("B.C.Branch.Test").map(TransportEntry::nextHop)).contains(relay);
        assertThat(d.transport("branch.test")).as("the parent itself").isEmpty();
        assertThat(d.transport("x.east.branch.test").map(TransportEntry::gateway).map(Gateway::name)).contains("east");
        assertThat(d.transport("hq.branch.test").map(TransportEntry::nextHop))
                .contains(new NextHop("hq.branch.test", 2525, false));
        assertThat(d.transport("other.test")).isEmpty();
    }

    @Test
    void aDomainMayBeHeldForEtrn() throws IOException {
        Directory d = DirectoryLoader.load(write("""
                domains: [example.test]
                transport:
                  customer.test: { nexthop: "[mx.customer.test]", hold: etrn }
                  "*.branch.test": { hold: ETRN }
                  other.test: "[mx.other.test]"
                """));
        assertThat(d.transport("customer.test").get().held()).isTrue();
        assertThat(d.transport("customer.test").get().nextHop()).isEqualTo(new NextHop("mx.customer.test", 25, false));
        assertThat(d.transport("x.branch.test").get().held()).as("held, by MX").isTrue();
        assertThat(d.transport("other.test").get().held()).isFalse();
        assertThat(d.heldDomains()).containsExactly("*.branch.test", "customer.test");
        assertThat(failure("domains: [example.test]\ntransport:\n  c.test:\n    hold: odmr\n").getMessage())
                .contains(":4: 'hold: odmr' needs 'customers'");
        assertThat(failure("domains: [example.test]\ntransport:\n  c.test:\n    hold: yes\n").getMessage())
                .contains(":4: 'hold' must be etrn or odmr, not 'yes'");
        assertThat(failure("domains: [example.test]\ntransport:\n  c.test:\n    gateway: g\n    hold: etrn\n").getMessage())
                .contains(":5: 'hold' in transport for 'c.test': a gateway entry has no SMTP next hop");
    }

    @Test
    void anOnDemandDomainNamesItsCustomers() throws IOException {
        Directory d = DirectoryLoader.load(write("""
                domains: [example.test]
                transport:
                  customer.test: { hold: odmr, customers: [Cust@Example.test] }
                  other.test: { hold: odmr, customers: [other@example.test] }
                  etrn.test: { hold: etrn }
                """));
        assertThat(d.transport("customer.test").get().hold().releasableBy("cust@example.test")).isTrue();
        assertThat(d.transport("customer.test").get().hold().releasableBy("other@example.test")).isFalse();
        assertThat(d.transport("etrn.test").get().hold().releasableBy("cust@example.test")).isFalse();
        assertThat(d.odmrDomainsOf("CUST@example.test")).containsExactly("customer.test");
        assertThat(d.heldDomains()).as("ETRN's domains only").containsExactly("etrn.test");
        assertThat(failure("domains: [example.test]\ntransport:\n  c.test:\n    hold: odmr\n    customers: [nobody]\n")
                .getMessage()).contains(":5: 'customers' must be AUTH users (mailbox addresses), not 'nobody'");
        assertThat(failure("domains: [example.test]\ntransport:\n  c.test:\n    hold: etrn\n    customers: [a@b.test]\n")
                .getMessage()).contains(":5: 'customers' belong to 'hold: odmr'");
        assertThat(failure("domains: [example.test]\ntransport:\n  c.test:\n    nexthop: \"[mx.c.test]\"\n    customers: [a@b.test]\n")
                .getMessage()).contains(":5: 'customers' in transport for 'c.test' belongs to 'hold: odmr'");
    }

    @Test
    void aGatewayEntryMayDeclareItsAddressRules() throws IOException {
        Directory d = DirectoryLoader.load(write("""
                domains: [example.test]
                transport:
                  uucp.test:
                    gateway: uucp
                    addresses: [bang, percent]
                  notes.test:
                    endpoint: "jms:queue:notes"
                    addresses:
                      - x400
                      - out-match: '^([a-z]+)@notes\\.test$'
                        out-replace: "$1/ACME"
                        in-match: "^([a-z]+)/ACME$"
                        in-replace: "$1@notes.test"
                """));
        Gateway uucp = d.transport("uucp.test").get().gateway();
        assertThat(uucp.addresses().rules()).extracting(r -> r.describe()).containsExactly("bang", "percent");
        assertThat(uucp.addresses().toGateway("host!joe@uucp.test")).isEqualTo("host!joe");
        Gateway notes = d.transport("notes.test").get().gateway();
        assertThat(notes.addresses().toGateway("jane@notes.test")).isEqualTo("jane/ACME");
        assertThat(notes.addresses().fromGateway("jane/ACME", "notes.test")).isEqualTo("jane@notes.test");
        assertThat(notes.addresses().toGateway("/G=Jo/S=Li/@notes.test")).isEqualTo("G=Jo;S=Li");
    }

    @Test
    void badGatewayEntriesNameTheirLine() throws IOException {
        assertThat(failure("domains: [example.test]\ntransport:\n  o.test:\n    gateway: orders\n    addresses: [bang, ccmail]\n")
                .getMessage()).contains(":5: address form 'ccmail' is not percent, bang or x400");
        assertThat(failure("domains: [example.test]\ntransport:\n  o.test:\n    gateway: orders\n    addresses:\n      - out-match: x\n")
                .getMessage()).contains(":6: an address rule of transport for 'o.test' needs [in-match, in-replace, out-match, out-replace] (missing 'in-match')");
        assertThat(failure("domains: [example.test]\ntransport:\n  o.test:\n    gateway: orders\n    addresses:\n      - { out-match: \"(\", out-replace: x, in-match: y, in-replace: z }\n")
                .getMessage()).contains(":6: bad regular expression");
        assertThat(failure("domains: [example.test]\ntransport:\n  o.test:\n    nexthop: \"[x]\"\n    addresses: [bang]\n")
                .getMessage()).contains(":5: 'addresses' in transport for 'o.test' belongs to a gateway");
        assertThat(failure("domains: [example.test]\ntransport:\n  o.test:\n    gateway: orders\n    nexthop: \"[x]\"\n")
                .getMessage()).contains(":5: 'nexthop' in transport for 'o.test': a gateway entry has no SMTP next hop");
        assertThat(failure("domains: [example.test]\ntransport:\n  o.test:\n    gateway: orders\n    endpoint: \"jms:queue:x\"\n")
                .getMessage()).contains(":4: transport for 'o.test': a gateway is either a named route or an endpoint");
        assertThat(failure("domains: [example.test]\ntransport:\n  o.test:\n    endpoint: \"jms:queue:x\"\n    format: xml\n")
                .getMessage()).contains(":5: format 'xml' is not mime or json");
        assertThat(failure("domains: [example.test]\ntransport:\n  o.test:\n    gateway: Orders/X\n")
                .getMessage()).contains(":4: transport for 'o.test': gateway name 'Orders/X' must be lower-case");
        assertThat(failure("domains: [example.test]\ntransport:\n  o.test:\n    gateway: orders\n    max-size: 10M\n")
                .getMessage()).contains(":5: 'max-size' must be a number of octets");
        assertThat(failure("domains: [example.test]\ntransport:\n  o.test:\n    nexthop: \"[x]\"\n    format: json\n")
                .getMessage()).contains(":5: 'format' in transport for 'o.test' belongs to a gateway");
        assertThat(failure("domains: [example.test]\ntransport:\n  \"*.bad..test\": \"[x]\"\n")
                .getMessage()).contains(":3: malformed domain '*.bad..test' in transport");
    }

    @Test
    void relayDomainsTakeAnyRecipientOrOnlyTheListedOnes() throws IOException {
        Directory d = DirectoryLoader.load(write("""
                domains: [example.test]
                transport:
                  backup.test: "[primary.backup.test]"
                  "*.corp.test": "[gw.corp.test]"
                relay-domains:
                  backup.test: any
                  hr.corp.test: [Anna@HR.corp.test, bo@hr.corp.test]
                """));
        assertThat(d.relayDomain("BACKUP.test")).hasValueSatisfying(r -> {
            assertThat(r.accepts("anyone@backup.test")).isTrue();
        });
        RelayDomain hr = d.relayDomain("hr.corp.test").orElseThrow();
        assertThat(hr.accepts("anna@hr.corp.test")).isTrue();
        assertThat(hr.accepts("Bo@HR.corp.test")).isTrue();
        assertThat(hr.accepts("eve@hr.corp.test")).isFalse();
        assertThat(d.relayDomain("other.corp.test")).as("only listed domains").isEmpty();
    }

    @Test
    void badRelayDomainsNameTheirLine() throws IOException {
        assertThat(failure("domains: [example.test]\nrelay-domains:\n  backup.test: any\n").getMessage())
                .contains(":3: relay domain 'backup.test' has no transport entry");
        assertThat(failure("domains: [example.test]\ntransport:\n  example.org: \"[x]\"\nrelay-domains:\n  example.test: any\n")
                .getMessage()).contains(":5: relay domain 'example.test' is a local domain");
        assertThat(failure("domains: [example.test]\ntransport:\n  b.test: \"[x]\"\nrelay-domains:\n  b.test: [a@c.test]\n")
                .getMessage()).contains(":5: 'a@c.test' is not an address in relay domain 'b.test'");
        assertThat(failure("domains: [example.test]\ntransport:\n  b.test: \"[x]\"\nrelay-domains:\n  b.test: all\n")
                .getMessage()).contains(":5: 'relay-domains b.test (any, callout, or a list of addresses)': expected a list");
        assertThat(failure("domains: [example.test]\ntransport:\n  g.test: { gateway: g }\nrelay-domains:\n  g.test: callout\n")
                .getMessage()).contains(":5: relay domain 'g.test': callout needs an SMTP next hop, not a gateway");
    }

    @Test
    void aPasswordThatIsNotABcryptHashNamesItsLineButNotTheValue() throws IOException {
        for (String bad : List.of("hunter2", "$2a$10$abc", "$2x$10$YFygSYF2xRwyUdkRgsBnpeN0z9zd2S5nWZqvRDMvb4zoMTTHXuOxq",
                "$2a$03$YFygSYF2xRwyUdkRgsBnpeN0z9zd2S5nWZqvRDMvb4zoMTTHXuOxq", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=")) {
            DirectoryException e = failure("domains: [example.test]\nmailboxes:\n  - address: alice@example.test\n"
                    + "    name: Alice\n    password: \"" + bad + "\"\n");
            assertThat(e.line()).as(bad).isEqualTo(5);
            assertThat(e.getMessage()).as(bad)
                    .contains(":5: 'password' of 'alice@example.test' is not a bcrypt hash")
                    .contains("hash-password")
                    .doesNotContain(bad);
        }
    }

    @Test
    void everyBcryptVariantIsAccepted() throws IOException {
        Directory d = DirectoryLoader.load(write("""
                domains: [example.test]
                mailboxes:
                  - address: a@example.test
                    password: $2y$04$bbl7HTfqigEhbWS6LeXNgOLZKPHA1ejzDf1sTsHf3xZ6cYfIZZoHK
                  - address: b@example.test
                    password: '$2b$04$DdfYlKuUDQXw7rzi7p.eMehdkALTqtKIN7N9lqTVhjhvrwVp3c4fy'
                """));
        assertThat(d.mailbox("a@example.test").orElseThrow().passwordHash()).startsWith("$2y$04$");
        assertThat(d.mailbox("b@example.test").orElseThrow().passwordHash()).startsWith("$2b$04$");
    }

    @Test
    void unknownTopLevelKeyNamesItsLine() throws IOException {
        DirectoryException e = failure("""
                domains: [example.test]
                # a comment
                alias:
                  foo: bar
                """);
        assertThat(e.line()).isEqualTo(3);
        assertThat(e.getMessage()).startsWith(dir.resolve("directory.yaml") + ":3: unknown key 'alias'");
    }

    @Test
    void unknownMailboxKeyNamesItsLine() throws IOException {
        DirectoryException e = failure("""
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                    nmae: Alice
                """);
        assertThat(e.getMessage()).endsWith(":4: unknown key 'nmae' in a mailbox (expected one of [address, name, password])");
    }

    @Test
    void mailboxOutsideLocalDomainsNamesItsLine() throws IOException {
        DirectoryException e = failure("""
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                    name: Alice

                  - address: bob@other.test
                """);
        assertThat(e.line()).isEqualTo(6);
        assertThat(e.getMessage()).endsWith(":6: mailbox 'bob@other.test' is not in a local domain");
    }

    @Test
    void malformedAddressesNameTheirLine() throws IOException {
        for (String bad : new String[] {"alice", "@example.test", "alice@", "al..ice@example.test",
                ".alice@example.test", "a b@example.test", "alice@exa_mple.test", "alice@-example.test"}) {
            DirectoryException e = failure("domains: [example.test]\nmailboxes:\n  - address: \"" + bad + "\"\n");
            assertThat(e.line()).as(bad).isEqualTo(3);
            assertThat(e.getMessage()).as(bad).contains(":3: malformed address");
        }
    }

    @Test
    void duplicateMailboxIsCaseInsensitiveAndNamesBothLines() throws IOException {
        DirectoryException e = failure("""
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                  - address: postmaster@example.test
                  - address: ALICE@example.test
                """);
        assertThat(e.getMessage()).endsWith(":5: mailbox 'alice@example.test' is defined twice (first on line 3)");
    }

    @Test
    void otherStructuralErrorsNameTheirLine() throws IOException {
        assertThat(failure("domains: []\n").getMessage()).contains(":1: 'domains' is empty");
        assertThat(failure("mailboxes: []\n").getMessage()).contains(":1: 'domains' is missing");
        assertThat(failure("domains: [example.test]\ndomains: [example.org]\n").getMessage())
                .contains(":2: key 'domains' given twice");
        assertThat(failure("domains: [example.test, bad_domain]\n").getMessage())
                .contains(":1: malformed domain 'bad_domain'");
        assertThat(failure("domains: [example.test]\nmailboxes:\n  - name: Nobody\n").getMessage())
                .contains(":3: mailbox without 'address'");
        assertThat(failure("domains: [example.test]\ntransport:\n  partner.test: \"[10.0.0.5]:99999\"\n")
                .getMessage()).contains(":3: next hop '[10.0.0.5]:99999'");
        assertThat(failure("domains: [example.test]\ntransport:\n  partner.test: \"bad_host!\"\n")
                .getMessage()).contains(":3: next hop 'bad_host!'");
        assertThat(failure("domains: [example.test]\ntransport:\n  example.test: \"[10.0.0.5]\"\n")
                .getMessage()).contains(":3: transport for 'example.test', but it is a local domain");
        assertThat(failure("domains: example.test\n").getMessage()).contains(":1: 'domains': expected a list");
        assertThat(failure("- just\n- a list\n").getMessage()).contains(":1: the top level: expected a mapping");
    }

    @Test
    void yamlSyntaxErrorNamesItsLine() throws IOException {
        DirectoryException e = failure("""
                domains: [example.test]
                mailboxes:
                  - address: alice@example.test
                   name: misindented
                """);
        assertThat(e.line()).isEqualTo(4);
        assertThat(e.getMessage()).startsWith(dir.resolve("directory.yaml") + ":4: YAML syntax error");

        DirectoryException unclosed = failure("domains: [example.test\nmailboxes: []\n");
        assertThat(unclosed.line()).isGreaterThan(0);
        assertThat(unclosed.getMessage()).contains(":" + unclosed.line() + ": YAML syntax error");
    }

    @Test
    void emptyOrMissingFileIsAClearError() throws IOException {
        assertThat(failure("# nothing here\n").getMessage()).endsWith(": the directory file is empty");

        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> DirectorySource.load(missing))
                .isInstanceOf(DirectoryException.class)
                .hasMessageStartingWith(missing + ": directory file not found");
    }

    @Test
    void sourceSwapsAtomically() {
        Directory a = DirectoryLoader.load(Path.of("config/directory.yaml"));
        DirectorySource source = new DirectorySource(a);
        assertThat(source.current()).isSameAs(a);
        Directory b = new Directory(java.util.List.of("b.test"), java.util.List.of(), java.util.Map.of());
        assertThat(source.replace(b)).isSameAs(a);
        assertThat(source.current()).isSameAs(b);
    }
}
