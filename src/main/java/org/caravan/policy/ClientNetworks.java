package org.caravan.policy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The trusted client networks ("mynetworks" in Postfix terms): clients in these may relay to
 * remote domains without authenticating. Parsed from a comma or white-space separated list of
 * CIDR blocks such as {@code "127.0.0.0/8, ::1, 192.168.0.0/16"}; a bare address is a /32 (IPv4)
 * or /128 (IPv6). An empty list trusts nobody, which is the right default (RFC 5321 §3.6: do not
 * be an open relay).
 *
 * <p>Entries are parsed as literals only, never resolved through DNS (a host name is an error):
 * trust must not depend on a DNS answer an attacker may control. A block with bits set beyond its
 * prefix ("192.168.1.1/16") is refused rather than silently masked, since it is usually a typo
 * that would trust far more than meant. IPv4 and IPv6 never match each other; Java already
 * presents IPv4-mapped IPv6 clients (::ffff:a.b.c.d) as IPv4 addresses.
 */
public final class ClientNetworks {
    private final List<Block> blocks;

    private ClientNetworks(List<Block> blocks) {
        this.blocks = List.copyOf(blocks);
    }

    /** Trusts nobody. */
    public static ClientNetworks none() {
        return new ClientNetworks(List.of());
    }

    /** Parses the list; a bad entry fails with IllegalArgumentException naming that entry. */
    public static ClientNetworks parse(String spec) {
        List<Block> blocks = new ArrayList<>();
        for (String entry : spec.trim().split("[,\\s]+")) {
            if (!entry.isEmpty()) {
                blocks.add(Block.parse(entry));
            }
        }
        return new ClientNetworks(blocks);
    }

    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        for (Block b : blocks) {
            if (b.matches(bytes)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the client is trusted; null or an unresolved socket address is not. */
    public boolean contains(InetSocketAddress client) {
        return client != null && client.getAddress() != null && contains(client.getAddress());
    }

    @Override
    public String toString() {
        return blocks.toString();
    }

    /** One CIDR block: network bytes (4 or 16) and prefix length. */
    private record Block(byte[] network, int prefix, String text) {
        static Block parse(String entry) {
            int slash = entry.indexOf('/');
            String addr = slash < 0 ? entry : entry.substring(0, slash);
            byte[] bytes = literal(addr, entry);
            int max = bytes.length * 8;
            int prefix = max;
            if (slash >= 0) {
                String p = entry.substring(slash + 1);
                if (!p.matches("[0-9]{1,3}") || Integer.parseInt(p) > max) {
                    throw new IllegalArgumentException("bad network '" + entry + "': prefix length must be 0.." + max);
                }
                prefix = Integer.parseInt(p);
            }
            for (int bit = prefix; bit < max; bit++) {
                if ((bytes[bit / 8] & (0x80 >>> (bit % 8))) != 0) {
                    throw new IllegalArgumentException("bad network '" + entry + "': address has bits set beyond /"
                            + prefix);
                }
            }
            return new Block(bytes, prefix, entry);
        }

        /** IPv4 dotted quad or IPv6 literal, parsed without any DNS lookup. */
        private static byte[] literal(String addr, String entry) {
            if (addr.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
                String[] parts = addr.split("\\.");
                byte[] b = new byte[4];
                for (int i = 0; i < 4; i++) {
                    int v = Integer.parseInt(parts[i]);
                    if (v > 255 || (parts[i].length() > 1 && parts[i].startsWith("0"))) {
                        throw new IllegalArgumentException("bad network '" + entry + "': not an IPv4 address");
                    }
                    b[i] = (byte) v;
                }
                return b;
            }
            // Only strings with ':' and hex digits reach InetAddress, which parses those as
            // IPv6 literals without resolving. Zone ids (%eth0) are refused by the pattern.
            if (addr.contains(":") && addr.matches("[0-9A-Fa-f:.]+")) {
                try {
                    byte[] b = InetAddress.getByName(addr).getAddress();
                    if (b.length == 16) {
                        return b;
                    }
                    throw new IllegalArgumentException("bad network '" + entry
                            + "': IPv4-mapped IPv6 address, write it in IPv4 form");
                } catch (UnknownHostException e) {
                    // fall through to the error below
                }
            }
            throw new IllegalArgumentException("bad network '" + entry + "': not an IPv4 or IPv6 address");
        }

        boolean matches(byte[] candidate) {
            if (candidate.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (candidate[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (candidate[full] & mask) == (network[full] & mask);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
