package org.caravan.policy;

import java.util.List;

import org.caravan.mail.RcptRequest;
import org.caravan.mail.SmtpReply;

/**
 * The verify stage's shipped checks in the order verify.camel.yaml runs them (VerifyRoutesTest
 * checks the route file against this order), for unit tests of the RCPT decisions without Camel.
 */
public final class ShippedChecks {
    private final RecipientClassifier classifier;
    private final List<RecipientCheck> checks;

    public ShippedChecks(RecipientClassifier classifier, ClientNetworks trusted) {
        this.classifier = classifier;
        this.checks = List.of(new SrsAddressCheck(classifier), new LocalRecipientCheck(),
                new ListPostingCheck(classifier), new MovedUserCheck(), new RelayControlCheck(trusted, classifier, new org.caravan.policy.RecipientCallout(
                        r -> { throw new AssertionError("no relay domain verifies by callout here: " + r); }, java.time.Clock.systemUTC())));
    }

    /** The route-file bean names of {@link #checks}, in order. */
    public static final List<String> BEAN_NAMES = List.of("recipientClassifier", "dnsbl", "srsAddressCheck",
            "localRecipientCheck", "listPostingCheck", "movedUserCheck", "relayControlCheck");

    public SmtpReply check(RcptRequest request) {
        Verification v = classifier.verification(request);
        for (RecipientCheck check : checks) {
            v = check.verify(v);
        }
        return v.result();
    }
}
