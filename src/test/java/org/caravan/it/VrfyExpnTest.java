package org.caravan.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Map;

import org.caravan.testing.SmtpTranscript;
import org.caravan.testing.TestRouter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * VRFY and EXPN under each policy (caravan.vrfy, caravan.expn = off | trusted | on), for a
 * trusted client (127.0.0.1, in mynetworks) and an untrusted one (127.0.0.2). The untrusted
 * never get a fake 250 or 550 (RFC 5321 §3.5.3, §7.3).
 */
class VrfyExpnTest {
    private static final String DIRECTORY = """
            domains: [example.test]
            mailboxes:
              - address: alice@example.test
                name: Alice Example
              - address: alan@example.test
                name: Alan Smith
              - address: bob@example.test
              - address: postmaster@example.test
            lists:
              - address: team@example.test
                name: The Team
                owner: alice@example.test
                posters: members
                members: [alice@example.test, bob@example.test, carol@far.test]
            forwards:
              - address: dave@example.test
                to: dave@newplace.test
                mode: forward
              - address: erin@example.test
                to: erin@elsewhere.test
                mode: refuse
            """;

    @TempDir
    Path dir;

    private TestRouter router(String vrfy, String expn) throws Exception {
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.writeString(dir.resolve("directory.yaml"), DIRECTORY);
        return TestRouter.start(dir, Map.of("caravan.mynetworks", "127.0.0.1/32", "caravan.vrfy", vrfy,
                "caravan.expn", expn));
    }

    private static SmtpTranscript from(TestRouter router, String source) throws Exception {
        SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", router.smtpPort(), InetAddress.getByName(source));
        t.expect("220");
        t.send("EHLO client.test").expect("250");
        return t;
    }

    @Test
    void trustedPolicyAnswersTrustedClientsOnly() throws Exception {
        try (TestRouter router = router("trusted", "trusted")) {
            try (SmtpTranscript t = from(router, "127.0.0.1")) {
                t.send("VRFY alice@example.test").expect("250 2.1.5 Alice Example <alice@example.test>");
                t.send("VRFY <bob@example.test>").expect("250 2.1.5 <bob@example.test>");
                t.send("VRFY nobody@example.test").expect("550 5.1.1");
                t.send("VRFY bob").expect("250 2.1.5 <bob@example.test>");
                t.send("VRFY Smith").expect("250 2.1.5 Alan Smith <alan@example.test>");
                String ambiguous = t.send("VRFY al").expect("553 5.1.4");
                assertThat(ambiguous).contains("Alice Example <alice@example.test>")
                        .contains("Alan Smith <alan@example.test>");
                t.send("EXPN alice@example.test").expect("550 5.1.1");
                String members = t.send("EXPN team@example.test").expect("250 2.1.5");
                assertThat(members).contains("Alice Example <alice@example.test>").contains("<bob@example.test>")
                        .contains("<carol@far.test>");
                t.send("VRFY dave@example.test").expect("251 2.1.5 User not local; will forward to <dave@newplace.test>");
                t.send("VRFY erin@example.test").expect("551 5.1.6 User not local; please try <erin@elsewhere.test>");
                t.send("VRFY team@example.test").expect("250 2.1.5 <team@example.test>");
            }
            try (SmtpTranscript t = from(router, "127.0.0.2")) {
                t.send("EXPN team@example.test").expect("252 2.5.0");
                t.send("VRFY dave@example.test").expect("252 2.5.0");
                t.send("VRFY alice@example.test").expect("252 2.5.0");
                t.send("VRFY nobody@example.test").expect("252 2.5.0");
                t.send("EXPN staff@example.test").expect("252 2.5.0");
            }
        }
    }

    @Test
    void onAnswersEveryoneAndOffAnswersNoOne() throws Exception {
        try (TestRouter router = router("on", "off")) {
            try (SmtpTranscript t = from(router, "127.0.0.2")) {
                t.send("VRFY alice@example.test").expect("250 2.1.5 Alice Example <alice@example.test>");
                t.send("EXPN staff@example.test").expect("502 5.5.1");
            }
        }
        try (TestRouter router = router("off", "on")) {
            try (SmtpTranscript t = from(router, "127.0.0.1")) {
                t.send("VRFY alice@example.test").expect("252 2.5.0");
                t.send("EXPN alice@example.test").expect("550 5.1.1");
            }
        }
    }

    private static final String UTF8_DIRECTORY = """
            domains: [example.test]
            mailboxes:
              - address: ünicode@example.test
                name: Ünicode User
              - address: zoe@example.test
                name: Zoë Example
              - address: bob@example.test
              - address: postmaster@example.test
            aliases:
              sales@example.test: [zoe@example.test, bob@far.test]
            lists:
              - address: team@example.test
                owner: zoe@example.test
                members: [zoe@example.test, bob@example.test]
            """;

    /**
     * RFC 6531 §3.7.4: VRFY and EXPN take an SMTPUTF8 parameter (curl sends it); with it the answer
     * may be UTF-8, without it it is ASCII (a non-ASCII name left out) or 553 5.6.7. EXPN takes a
     * bare local part as VRFY does, and expands aliases too. HELP names a command's syntax.
     */
    @Test
    void smtpUtf8ParameterAliasesBareListNamesAndHelpTopics() throws Exception {
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.writeString(dir.resolve("directory.yaml"), UTF8_DIRECTORY);
        try (TestRouter router = TestRouter.start(dir, Map.of("caravan.mynetworks", "127.0.0.1/32"));
             SmtpTranscript t = from(router, "127.0.0.1")) {
            t.send("VRFY ünicode@example.test SMTPUTF8").expect("250 2.1.5 Ünicode User <ünicode@example.test>");
            t.send("VRFY ünicode@example.test").expect("553 5.6.7");
            t.send("VRFY zoe@example.test smtputf8").expect("250 2.1.5 Zoë Example <zoe@example.test>");
            t.send("VRFY zoe@example.test").expect("250 2.1.5 <zoe@example.test>");
            t.send("VRFY SMTPUTF8").expect("550 5.1.1"); // a user called SMTPUTF8, not a parameter
            t.send("EXPN team").expect("250 2.1.5");
            String alias = t.send("EXPN sales@example.test SMTPUTF8").expect("250 2.1.5");
            assertThat(alias).contains("Zoë Example <zoe@example.test>").contains("<bob@far.test>");
            String ascii = t.send("EXPN sales").expect("250 2.1.5");
            assertThat(ascii).contains("<zoe@example.test>").doesNotContain("Zoë").contains("<bob@far.test>");
            t.send("EXPN bob@example.test").expect("550 5.1.1");
            t.send("HELP RCPT").expect("214 2.0.0 RCPT TO:<forward-path>");
            t.send("HELP vrfy").expect("214 2.0.0 VRFY <user name or mailbox> [SMTPUTF8]");
            t.send("HELP FROBNICATE").expect("504 5.5.4");
            t.send("HELP").expect("214");
        }
    }
}
