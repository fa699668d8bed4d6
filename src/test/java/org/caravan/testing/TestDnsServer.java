package org.caravan.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;

/**
 * A tiny authoritative-looking UDP DNS server on 127.0.0.1 (ephemeral port) for tests. Names not
 * configured answer NXDOMAIN; a name with records but none of the asked type answers NOERROR
 * with an empty answer (NODATA). One thread, one datagram at a time, stops on {@link #close()}.
 */
public final class TestDnsServer implements AutoCloseable {
    private static final long TTL = 60;
    private static final int SILENT = -1;

    private final DatagramSocket socket;
    private final Thread thread;
    private final Map<Name, List<Record>> records = new ConcurrentHashMap<>();
    private final Map<Name, Integer> rcodes = new ConcurrentHashMap<>();
    private final AtomicInteger queries = new AtomicInteger();

    private TestDnsServer() throws SocketException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = new Thread(this::serve, "test-dns-" + socket.getLocalPort());
        thread.setDaemon(true);
    }

    public static TestDnsServer start() throws IOException {
        TestDnsServer s = new TestDnsServer();
        s.thread.start();
        return s;
    }

    /** For {@code NextHopResolver}: "127.0.0.1:port". */
    public String address() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    public int queryCount() {
        return queries.get();
    }

    public TestDnsServer mx(String domain, int preference, String target) {
        Name d = name(domain);
        return add(new MXRecord(d, DClass.IN, TTL, preference, name(target)));
    }

    /** RFC 7505: a single MX with preference 0 and target ".". */
    public TestDnsServer nullMx(String domain) {
        return add(new MXRecord(name(domain), DClass.IN, TTL, 0, Name.root));
    }

    public TestDnsServer a(String host, String ipv4) {
        return add(new ARecord(name(host), DClass.IN, TTL, literal(ipv4)));
    }

    public TestDnsServer aaaa(String host, String ipv6) {
        return add(new AAAARecord(name(host), DClass.IN, TTL, literal(ipv6)));
    }

    /** Every query for this name answers NXDOMAIN (the default for unknown names, made explicit). */
    public TestDnsServer nxdomain(String name) {
        rcodes.put(name(name), Rcode.NXDOMAIN);
        return this;
    }

    /** Queries for this name get no answer at all: the client times out. */
    public TestDnsServer silent(String name) {
        rcodes.put(name(name), SILENT);
        return this;
    }

    /** Every query for this name answers SERVFAIL. */
    public TestDnsServer servfail(String name) {
        rcodes.put(name(name), Rcode.SERVFAIL);
        return this;
    }

    private TestDnsServer add(Record r) {
        records.computeIfAbsent(r.getName(), n -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(r);
        return this;
    }

    private void serve() {
        byte[] buf = new byte[4096];
        while (!socket.isClosed()) {
            DatagramPacket in = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(in);
                queries.incrementAndGet();
                Message query = new Message(java.util.Arrays.copyOf(in.getData(), in.getLength()));
                if (Integer.valueOf(SILENT).equals(rcodes.get(query.getQuestion().getName()))) {
                    continue;
                }
                byte[] out = answer(query);
                socket.send(new DatagramPacket(out, out.length, in.getSocketAddress()));
            } catch (IOException e) {
                if (socket.isClosed()) {
                    return;
                }
                // a malformed query: ignore it, the client times out
            }
        }
    }

    private byte[] answer(Message query) {
        Record question = query.getQuestion();
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.AA);
        if (query.getHeader().getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
        }
        response.addRecord(question, Section.QUESTION);
        Name qname = question.getName();
        Integer rcode = rcodes.get(qname);
        List<Record> known = records.get(qname);
        if (rcode != null) {
            response.getHeader().setRcode(rcode);
        } else if (known == null) {
            response.getHeader().setRcode(Rcode.NXDOMAIN);
        } else {
            List<Record> matching = new ArrayList<>();
            for (Record r : known) {
                if (r.getType() == question.getType()) {
                    matching.add(r);
                }
            }
            matching.forEach(r -> response.addRecord(r, Section.ANSWER));
        }
        return response.toWire(512);
    }

    private static Name name(String s) {
        try {
            return Name.fromString(s, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static InetAddress literal(String ip) {
        try {
            return InetAddress.getByAddress(org.xbill.DNS.Address.toByteArray(ip,
                    ip.contains(":") ? org.xbill.DNS.Address.IPv6 : org.xbill.DNS.Address.IPv4));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(ip, e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        thread.join(5_000);
    }
}
