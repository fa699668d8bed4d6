package org.caravan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.caravan.mail.MessageRequest;
import org.caravan.mail.Replies;
import org.caravan.mail.SessionInfo;
import org.junit.jupiter.api.Test;

class MessagePolicyTest {
    private static MessageRequest withReceived(int count) {
        SessionInfo s = new SessionInfo("s1", new InetSocketAddress("127.0.0.1", 40000),
                new InetSocketAddress("127.0.0.1", 25), "client.test", true, false, null);
        return new MessageRequest(s, "Q1", "a@far.test", List.of("alice@example.test"), Map.of(), Map.of(),
                Path.of("unused"), 0, count);
    }

    @Test
    void defaultThresholdIs100() {
        MessagePolicy p = new MessagePolicy();
        assertThat(p.maxReceived()).isEqualTo(100);
        assertThat(p.check(withReceived(1))).isEmpty();
        assertThat(p.check(withReceived(100))).isEmpty();
        assertThat(p.check(withReceived(101))).contains(Replies.LOOP_DETECTED);
        assertThat(p.check(withReceived(101)).orElseThrow()).satisfies(r -> {
            assertThat(r.code()).isEqualTo(554);
            assertThat(r.enhanced()).isEqualTo("5.4.6");
        });
    }

    @Test
    void thresholdIsConfigurable() {
        MessagePolicy p = new MessagePolicy(5);
        assertThat(p.check(withReceived(5))).isEmpty();
        assertThat(p.check(withReceived(6))).isPresent();
        assertThatThrownBy(() -> new MessagePolicy(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
