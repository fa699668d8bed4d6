package org.caravan.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

import org.caravan.directory.Directory;
import org.caravan.directory.DirectorySource;
import org.caravan.directory.Mailbox;
import org.caravan.directory.MailingList;
import org.caravan.mail.ExpnRequest;
import org.caravan.mail.SessionInfo;
import org.caravan.mail.VrfyRequest;
import org.junit.jupiter.api.Test;

/** "trusted" VRFY/EXPN: an authenticated client counts as trusted wherever it connects from. */
class DisclosurePolicyAuthTest {
    private static final Directory DIRECTORY = new Directory(List.of("example.test"),
            List.of(new Mailbox("alice@example.test", "Alice Example", null)), Map.of(), "", List.of(),
            List.of(new MailingList("team@example.test", null, "alice@example.test", MailingList.Posters.MEMBERS,
                    List.of(), List.of("alice@example.test"))), List.of(), Map.of());
    private final DisclosurePolicy policy = new DisclosurePolicy(new DirectorySource(DIRECTORY),
            ClientNetworks.parse("127.0.0.0/8"), DisclosurePolicy.Mode.TRUSTED, DisclosurePolicy.Mode.TRUSTED);

    private static SessionInfo outside(String user) {
        return new SessionInfo("s1", new InetSocketAddress("203.0.113.9", 40000), new InetSocketAddress("192.0.2.1", 587),
                "client.test", true, true, user);
    }

    @Test
    void anUnauthenticatedOutsiderLearnsNothing() {
        assertThat(policy.vrfy(new VrfyRequest(outside(null), "alice@example.test", false)).code()).isEqualTo(252);
        assertThat(policy.expn(new ExpnRequest(outside(null), "team@example.test", false)).code()).isEqualTo(252);
    }

    @Test
    void anAuthenticatedClientIsTrusted() {
        assertThat(policy.vrfy(new VrfyRequest(outside("alice@example.test"), "alice@example.test", false)).lines())
                .containsExactly("Alice Example <alice@example.test>");
        assertThat(policy.expn(new ExpnRequest(outside("alice@example.test"), "team@example.test", false)).code())
                .isEqualTo(250);
    }
}
