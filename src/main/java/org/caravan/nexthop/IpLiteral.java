package org.caravan.nexthop;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

import org.xbill.DNS.Address;

/** Parses IPv4/IPv6 literals without ever touching a name service. */
final class IpLiteral {
    private IpLiteral() {
    }

    static Optional<InetAddress> parse(String s) {
        // dnsjava's parser accepts only literal syntax; InetAddress.getByName would do a lookup for names.
        byte[] bytes = Address.toByteArray(s, Address.IPv4);
        if (bytes == null) {
            bytes = Address.toByteArray(s, Address.IPv6);
        }
        if (bytes == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByAddress(s, bytes));
        } catch (UnknownHostException e) {
            return Optional.empty(); // cannot happen for 4- or 16-byte arrays
        }
    }
}
