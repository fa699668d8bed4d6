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
}
