package org.caravan.policy;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.caravan.mail.SessionInfo;
import org.caravan.mail.SmtpReply;
import org.caravan.nexthop.DnsResolvers;
import org.caravan.retry.PostfixDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * A DNS blocklist check (RFC 5782), as Postfix's {@code reject_rbl_client}: a client whose address
 * is listed in one of the zones gets 554 5.7.1 at RCPT, naming the zone. Clients in the trusted
 * networks and authenticated sessions are never looked up. With no zones it does nothing; it is
 * the example of an operator's own check in verify.camel.yaml (defined there with {@code beans:}).
 *
 * <p>Listed means an A record in 127.0.0.0/8 for the reversed address (IPv4 octets, IPv6 nibbles)
 * under the zone. 127.0.0.1 is never a listing (RFC 5782 §5), and 127.255.255.0/24 are the error
 * codes some lists return to resolvers they refuse (Spamhaus): both are logged, not obeyed. A
 * lookup that fails (timeout, SERVFAIL) does not refuse mail: a list being down must not stop it.
 * Answers are kept for a minute, so a message's many recipients cost one lookup.
 */
public final class DnsblCheck implements RecipientCheck {
    private static final Logger LOG = LoggerFactory.getLogger(DnsblCheck.class);
    private static final Duration REMEMBER = Duration.ofMinutes(1);
    private static final int MAX_REMEMBERED = 10_000;

    private final List<Name> zones;
    private final ClientNetworks trustedNetworks;
    private final Resolver resolver;
    private final Clock clock;
    private final Map<InetAddress, Answer> answers = new ConcurrentHashMap<>();

    /** What one client's lookups found: the zone that lists it, or none, until {@code expires}. */
    private record Answer(Optional<String> zone, Instant expires) {
    }

    /**
     * @param zones     comma- or space-separated DNSBL zones, empty for none (the check then does nothing)
     * @param trusted   clients never looked up: caravan.mynetworks, as ClientNetworks parses it
     * @param dnsServer caravan.dns.server: empty for the system resolver, else host:port
     * @param timeout   per query, as {@code 5s}
     */
    public DnsblCheck(String zones, String trusted, String dnsServer, String timeout) {
        this(zones, ClientNetworks.parse(trusted), DnsResolvers.of(dnsServer, PostfixDuration.parse("DNSBL timeout", timeout)),
                Clock.systemUTC());
    }

    DnsblCheck(String zones, ClientNetworks trusted, Resolver resolver, Clock clock) {
        this.zones = parseZones(zones);
        this.trustedNetworks = Objects.requireNonNull(trusted, "trusted");
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    private static List<Name> parseZones(String zones) {
        if (zones == null || zones.isBlank()) {
            return List.of();
        }
        return Arrays.stream(zones.trim().split("[,\\s]+")).map(z -> {
            try {
                return Name.fromString(z.toLowerCase(Locale.ROOT), Name.root);
            } catch (TextParseException e) {
                throw new IllegalArgumentException("DNSBL zone is not a domain name: " + z, e);
            }
        }).toList();
    }

    @Override
    public Optional<SmtpReply> check(Verification v) {
        SessionInfo session = v.request().session();
        if (zones.isEmpty() || session == null || session.authenticatedUser() != null
                || session.client() == null || trustedNetworks.contains(session.client())) {
            return Optional.empty();
        }
        InetAddress client = session.client().getAddress();
        Instant now = clock.instant();
        Answer answer = answers.get(client);
        if (answer == null || !now.isBefore(answer.expires())) {
            if (answers.size() >= MAX_REMEMBERED) {
                answers.clear();
            }
            answer = new Answer(lookUp(client), now.plus(REMEMBER));
            answers.put(client, answer);
        }
        return answer.zone().map(zone -> {
            LOG.info("session={}: client [{}] listed in {}: RCPT <{}> refused", session.sessionId(),
                    client.getHostAddress(), zone, v.request().recipient());
            return PolicyReplies.clientBlocked(client.getHostAddress(), zone);
        });
    }

    /** The first zone that lists {@code client}, if any. */
    private Optional<String> lookUp(InetAddress client) {
        for (Name zone : zones) {
            if (listed(client, zone)) {
                return Optional.of(zone.toString(true));
            }
        }
        return Optional.empty();
    }

    private boolean listed(InetAddress client, Name zone) {
        Name query;
        try {
            query = Name.concatenate(reversed(client), zone);
        } catch (org.xbill.DNS.NameTooLongException e) {
            return false;
        }
        Message response;
        try {
            response = resolver.send(Message.newQuery(Record.newRecord(query, Type.A, DClass.IN)));
        } catch (IOException e) {
            LOG.warn("DNSBL lookup {} failed: {}; client not treated as listed", query, e.getMessage());
            return false;
        }
        if (response.getRcode() == Rcode.NXDOMAIN) {
            return false;
        }
        if (response.getRcode() != Rcode.NOERROR) {
            LOG.warn("DNSBL lookup {} failed: {}; client not treated as listed", query, Rcode.string(response.getRcode()));
            return false;
        }
        for (Record r : response.getSection(Section.ANSWER)) {
            if (r instanceof ARecord a && listing(a.getAddress().getAddress(), query)) {
                return true;
            }
        }
        return false;
    }

    /** 127.0.0.2 to 127.255.254.255, less 127.0.0.1 (not a listing) and 127.255.255.x (list errors). */
    private static boolean listing(byte[] a, Name query) {
        if (a[0] != 127) {
            return false;
        }
        boolean loopbackOne = a[1] == 0 && a[2] == 0 && a[3] == 1;
        boolean listError = (a[1] & 0xff) == 255 && (a[2] & 0xff) == 255;
        if (loopbackOne || listError) {
            LOG.warn("DNSBL {} answered 127.{}.{}.{}: an error code of the list, not a listing; is the resolver allowed to query it?",
                    query, a[1] & 0xff, a[2] & 0xff, a[3] & 0xff);
            return false;
        }
        return true;
    }

    /** 192.0.2.1 as 1.2.0.192; an IPv6 address as its 32 nibbles, last first (RFC 5782 §2.4). */
    static Name reversed(InetAddress address) {
        byte[] b = address.getAddress();
        StringBuilder sb = new StringBuilder();
        if (address instanceof Inet4Address) {
            for (int i = b.length - 1; i >= 0; i--) {
                sb.append(b[i] & 0xff).append('.');
            }
        } else {
            for (int i = b.length - 1; i >= 0; i--) {
                sb.append(Character.forDigit(b[i] & 0x0f, 16)).append('.')
                        .append(Character.forDigit((b[i] >> 4) & 0x0f, 16)).append('.');
            }
        }
        try {
            return Name.fromString(sb.substring(0, sb.length() - 1));
        } catch (TextParseException e) {
            throw new IllegalStateException(e);
        }
    }
}
