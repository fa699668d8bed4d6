package org.caravan.smtpclient;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The socket factory Angus layers TLS with on STARTTLS ({@code mail.smtp.ssl.socketFactory}).
 * Angus only knows the address it connected to (we connect by IP, the host was resolved by our
 * own resolver); around each STARTTLS, {@link StartTlsTransport} opens a {@link Handshake} on
 * its thread, so that this factory can
 * <ul>
 * <li>name the peer by its host name (SNI, and the name a {@code verify} policy checks, as
 *     Postfix matches the MX host name), and</li>
 * <li>hand back the TLS socket, whose session tells the protocol and cipher for the log.</li>
 * </ul>
 * A thread-local is the only channel: Angus calls {@code createSocket} from inside its private
 * startTLS code, on the thread that runs {@code StartTlsTransport.startTLS}.
 */
final class StartTlsSocketFactory extends SSLSocketFactory {
    private static final ThreadLocal<Handshake> CURRENT = new ThreadLocal<>();

    private final SSLSocketFactory delegate;

    private StartTlsSocketFactory(SSLSocketFactory delegate) {
        this.delegate = delegate;
    }

    /** For {@code may} and {@code encrypt}: any certificate is accepted (see {@link TlsPolicy} for why). */
    static StartTlsSocketFactory unverified() {
        return new StartTlsSocketFactory(anyCertificate().getSocketFactory());
    }

    /** A client TLS context that accepts any certificate. */
    static SSLContext anyCertificate() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new AnyCertificate()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS in this JDK", e);
        }
    }

    /** For {@code verify}: the chain must be trusted by {@code context} (the JDK trust store if null). */
    static StartTlsSocketFactory verified(SSLContext context) {
        try {
            return new StartTlsSocketFactory((context != null ? context : SSLContext.getDefault()).getSocketFactory());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no default TLS context in this JDK", e);
        }
    }

    /** One STARTTLS on this thread: the peer's name, and the TLS socket once created. Close it after. */
    static final class Handshake implements AutoCloseable {
        private final String peerName;
        private SSLSocket socket;

        private Handshake(String peerName) {
            this.peerName = peerName;
        }

        static Handshake begin(String peerName) {
            Handshake h = new Handshake(peerName);
            CURRENT.set(h);
            return h;
        }

        /** What the finished handshake negotiated. */
        TlsStatus status() {
            if (socket == null) {
                return new TlsStatus("unknown", "unknown"); // another factory was configured
            }
            SSLSession s = socket.getSession();
            return new TlsStatus(s.getProtocol(), s.getCipherSuite());
        }

        @Override
        public void close() {
            CURRENT.remove();
        }
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
        Handshake h = CURRENT.get();
        String peer = h != null && h.peerName != null ? h.peerName : host;
        SSLSocket ssl = (SSLSocket) delegate.createSocket(s, peer, port, autoClose);
        if (h != null) {
            h.socket = ssl;
        }
        return ssl;
    }

    @Override
    public String[] getDefaultCipherSuites() {
        return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return delegate.createSocket(host, port);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return delegate.createSocket(host, port, localHost, localPort);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return delegate.createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return delegate.createSocket(address, port, localAddress, localPort);
    }

    /**
     * Accepts every server certificate. Extended, so the JDK uses it as it is instead of wrapping
     * it in its own checks (a plain X509TrustManager gets endpoint and algorithm checks added).
     */
    private static final class AnyCertificate extends X509ExtendedTrustManager {
        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            throw new UnsupportedOperationException("client side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            throw new UnsupportedOperationException("client side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            throw new UnsupportedOperationException("client side only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
