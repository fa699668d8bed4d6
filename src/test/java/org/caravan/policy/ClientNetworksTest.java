package org.caravan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

import org.junit.jupiter.api.Test;

class ClientNetworksTest {
    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal); // literals only: no DNS
    }

    @Test
    void matchesIpv4Blocks() throws Exception {
        ClientNetworks n = ClientNetworks.parse("127.0.0.0/8,::1,192.168.0.0/16");
        assertThat(n.contains(ip("127.0.0.1"))).isTrue();
        assertThat(n.contains(ip("127.255.255.255"))).isTrue();
        assertThat(n.contains(ip("128.0.0.0"))).isFalse();
        assertThat(n.contains(ip("126.255.255.255"))).isFalse();
        assertThat(n.contains(ip("192.168.0.0"))).isTrue();
        assertThat(n.contains(ip("192.168.255.255"))).isTrue();
        assertThat(n.contains(ip("192.169.0.0"))).isFalse();
        assertThat(n.contains(ip("192.167.255.255"))).isFalse();
    }

    @Test
    void matchesIpv6AndKeepsFamiliesApart() throws Exception {
        ClientNetworks n = ClientNetworks.parse("::1 2001:db8::/32 fe80::/10");
        assertThat(n.contains(ip("::1"))).isTrue();
        assertThat(n.contains(ip("::2"))).isFalse();
        assertThat(n.contains(ip("2001:db8:ffff:ffff::1"))).isTrue();
        assertThat(n.contains(ip("2001:db9::1"))).isFalse();
        assertThat(n.contains(ip("febf::1"))).isTrue();
        assertThat(n.contains(ip("fec0::1"))).isFalse();
        assertThat(n.contains(ip("127.0.0.1"))).isFalse();
        assertThat(ClientNetworks.parse("0.0.0.0/0").contains(ip("::1"))).isFalse();
    }

    @Test
    void bareAddressesAreSingleHosts() throws Exception {
        ClientNetworks n = ClientNetworks.parse("10.0.0.5, 2001:db8::5");
        assertThat(n.contains(ip("10.0.0.5"))).isTrue();
        assertThat(n.contains(ip("10.0.0.4"))).isFalse();
        assertThat(n.contains(ip("10.0.0.6"))).isFalse();
        assertThat(n.contains(ip("2001:db8::5"))).isTrue();
        assertThat(n.contains(ip("2001:db8::4"))).isFalse();
    }

    @Test
    void prefixEdges() throws Exception {
        assertThat(ClientNetworks.parse("0.0.0.0/0").contains(ip("255.255.255.255"))).isTrue();
        assertThat(ClientNetworks.parse("::/0").contains(ip("ffff::1"))).isTrue();
        ClientNetworks odd = ClientNetworks.parse("10.0.0.128/25");
        assertThat(odd.contains(ip("10.0.0.128"))).isTrue();
        assertThat(odd.contains(ip("10.0.0.255"))).isTrue();
        assertThat(odd.contains(ip("10.0.0.127"))).isFalse();
        ClientNetworks odd6 = ClientNetworks.parse("2001:db8::/127");
        assertThat(odd6.contains(ip("2001:db8::1"))).isTrue();
        assertThat(odd6.contains(ip("2001:db8::2"))).isFalse();
    }

    @Test
    void emptyTrustsNobody() throws Exception {
        assertThat(ClientNetworks.parse("").contains(ip("127.0.0.1"))).isFalse();
        assertThat(ClientNetworks.parse(" , ").contains(ip("127.0.0.1"))).isFalse();
        assertThat(ClientNetworks.none().contains(ip("::1"))).isFalse();
    }

    @Test
    void socketAddresses() throws Exception {
        ClientNetworks n = ClientNetworks.parse("127.0.0.0/8");
        assertThat(n.contains(new InetSocketAddress(ip("127.0.0.1"), 40000))).isTrue();
        assertThat(n.contains((InetSocketAddress) null)).isFalse();
        assertThat(n.contains(InetSocketAddress.createUnresolved("localhost", 25))).isFalse();
    }

    @Test
    void badEntriesAreNamed() {
        for (String bad : new String[] {"localhost", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/",
                "256.0.0.1", "10.0.0", "10.0.0.1/16", "2001:db8::1/32", "2001:db8:::1", "fe80::1%eth0",
                "::ffff:10.0.0.1", "010.0.0.1"}) {
            assertThatThrownBy(() -> ClientNetworks.parse("127.0.0.0/8, " + bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
        }
    }
}
