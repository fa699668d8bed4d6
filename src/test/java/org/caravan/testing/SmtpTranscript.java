package org.caravan.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A raw-socket SMTP client for tests that reads like an RFC 5321 transcript:
 * <pre>
 * try (SmtpTranscript t = SmtpTranscript.connect("127.0.0.1", port)) {
 *     t.expect("220");
 *     t.send("EHLO client.test");
 *     t.expect("250");
 * }
 * </pre>
 * Every reply is awaited with a timeout (no sleeping); a failed expectation shows the whole
 * transcript so far ({@code C:} client lines, {@code S:} server lines).
 */
public final class SmtpTranscript implements AutoCloseable {

    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final StringBuilder log = new StringBuilder();

    private SmtpTranscript(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /**
     * One whole mail transaction on a new connection to 127.0.0.1:{@code port}: EHLO, MAIL, one
     * RCPT, DATA with {@code content} (CRLF line ends, without the final "."), QUIT. Each reply
     * must be the expected one; returns the end-of-DATA reply.
     */
    public static String sendMessage(int port, String from, String to, String content) throws IOException {
        try (SmtpTranscript s = connect("127.0.0.1", port)) {
            s.expect("220");
            s.send("EHLO client.test").expect("250");
            s.send("MAIL FROM:<" + from + ">").expect("250");
            s.send("RCPT TO:<" + to + ">").expect("250");
            s.send("DATA").expect("354");
            String reply = s.send(content + "\r\n.").expect("250");
            s.send("QUIT").expect("221");
            return reply;
        }
    }

    public static SmtpTranscript connect(String host, int port) throws IOException {
        return connect(host, port, Duration.ofSeconds(5));
    }

    /** @param timeout how long one reply (or the close) may take to arrive */
    public static SmtpTranscript connect(String host, int port, Duration timeout) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
        s.setSoTimeout((int) timeout.toMillis());
        s.setTcpNoDelay(true);
        return new SmtpTranscript(s);
    }

    /** Connects from {@code source}, e.g. 127.0.0.2 to be a client outside mynetworks. */
    public static SmtpTranscript connect(String host, int port, java.net.InetAddress source) throws IOException {
        return connect(host, port, source, Duration.ofSeconds(5));
    }

    /** Connects from {@code source}; {@code timeout} is how long one reply (or the close) may take. */
    public static SmtpTranscript connect(String host, int port, java.net.InetAddress source, Duration timeout)
            throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(source, 0));
        s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
        s.setSoTimeout((int) timeout.toMillis());
        s.setTcpNoDelay(true);
        return new SmtpTranscript(s);
    }

    /** Connects over implicit TLS (RFC 8314): the handshake is done before the greeting is read. */
    public static SmtpTranscript connectTls(String host, int port, javax.net.ssl.SSLSocketFactory tls)
            throws IOException {
        return connectTls(host, port, tls, null);
    }

    /** Over implicit TLS from {@code source} (e.g. 127.0.0.2, outside mynetworks); null: any. */
    public static SmtpTranscript connectTls(String host, int port, javax.net.ssl.SSLSocketFactory tls,
            java.net.InetAddress source) throws IOException {
        javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tls.createSocket();
        if (source != null) {
            s.bind(new InetSocketAddress(source, 0));
        }
        s.connect(new InetSocketAddress(host, port), 5000);
        s.setSoTimeout(5000);
        s.setTcpNoDelay(true);
        s.startHandshake();
        SmtpTranscript t = new SmtpTranscript(s);
        t.log.append("-- TLS ").append(s.getSession().getProtocol()).append(" --\n");
        return t;
    }

    /**
     * After the server's 220 to STARTTLS: the TLS handshake on this connection (RFC 3207 §4);
     * every later line goes over TLS. Octets the server sent in plaintext after its 220 would
     * break the handshake.
     */
    public javax.net.ssl.SSLSession startTls(javax.net.ssl.SSLSocketFactory tls) throws IOException {
        javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tls.createSocket(socket,
                socket.getInetAddress().getHostAddress(), socket.getPort(), true);
        s.setUseClientMode(true);
        s.startHandshake();
        socket = s;
        in = new BufferedInputStream(s.getInputStream());
        out = s.getOutputStream();
        log.append("-- TLS ").append(s.getSession().getProtocol()).append(" --\n");
        return s.getSession();
    }

    /** The socket's output, for streaming large content without logging it. */
    public OutputStream rawOutput() {
        return out;
    }

    /** Sends one line; CRLF is appended. The line is encoded as UTF-8. */
    public SmtpTranscript send(String line) throws IOException {
        log.append("C: ").append(line).append('\n');
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return this;
    }

    /** Sends bytes exactly as given (pipelined batches, bare CR/LF). */
    public SmtpTranscript sendRaw(byte[] bytes) throws IOException {
        log.append("C: ").append(visible(new String(bytes, StandardCharsets.UTF_8))).append('\n');
        out.write(bytes);
        out.flush();
        return this;
    }

    public SmtpTranscript sendRaw(String text) throws IOException {
        return sendRaw(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads one complete reply (all its continuation lines) and asserts that it starts with
     * {@code codePrefix} (e.g. "250", "550 5.1.1"). Returns the reply, lines joined with "\n".
     */
    public String expect(String codePrefix) throws IOException {
        String reply = readReply();
        if (reply == null) {
            throw new AssertionError("expected " + codePrefix + " but the server closed the connection\n" + log);
        }
        String[] lines = reply.split("\n");
        // The final line carries "code SP [enhanced]" (RFC 5321 §4.2.1); earlier ones use '-'.
        boolean ok = lines[lines.length - 1].startsWith(codePrefix);
        if (!ok) {
            throw new AssertionError("expected reply " + codePrefix + " but got:\n" + reply + "\ntranscript:\n" + log);
        }
        return reply;
    }

    /** Reads one complete reply, or null when the connection was closed before one began. */
    public String readReply() throws IOException {
        StringBuilder reply = new StringBuilder();
        while (true) {
            String line = readLine();
            if (line == null) {
                if (reply.length() == 0) {
                    return null;
                }
                throw new AssertionError("connection closed inside a multi-line reply\n" + log);
            }
            log.append("S: ").append(line).append('\n');
            if (line.length() < 3) {
                throw new AssertionError("malformed reply line: " + line + "\n" + log);
            }
            if (reply.length() > 0) {
                reply.append('\n');
            }
            reply.append(line);
            if (line.length() == 3 || line.charAt(3) != '-') {
                return reply.toString();
            }
        }
    }

    /**
     * After the connection turned (ATRN, TURN): reads one line the other side, now the client,
     * sends (a command, or a line of message content) without its CRLF; null once it has closed.
     */
    public String readCommand() throws IOException {
        String line = readLine();
        log.append("S: ").append(line == null ? "<closed>" : line).append('\n');
        return line;
    }

    /** Asserts that the server closes the connection (within the timeout) without saying more. */
    public void expectClosed() throws IOException {
        try {
            int b = in.read();
            if (b != -1) {
                throw new AssertionError("expected the connection to close, but got more data\n" + log);
            }
            log.append("S: <closed>\n");
        } catch (SocketTimeoutException e) {
            throw new AssertionError("expected the connection to close, but it stayed open\n" + log);
        } catch (IOException e) {
            log.append("S: <reset>\n"); // a reset after close is still a close
        }
    }

    /** The conversation so far, one "C: ..." or "S: ..." line per line. */
    public String transcript() {
        return log.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int prev = -1;
        while (true) {
            int b;
            try {
                b = in.read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("no reply within the timeout\n" + log, e);
            }
            if (b == -1) {
                return buf.size() == 0 ? null : buf.toString(StandardCharsets.UTF_8);
            }
            if (b == '\n' && prev == '\r') {
                byte[] bytes = buf.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            buf.write(b);
            prev = b;
        }
    }

    private static String visible(String s) {
        return s.replace("\r\n", "<CRLF>").replace("\r", "<CR>").replace("\n", "<LF>");
    }
}
