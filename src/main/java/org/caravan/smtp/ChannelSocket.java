package org.caravan.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * A Netty channel seen as a blocking {@link Socket}, for a turned connection (ATRN, RFC 2645):
 * an SMTP client that works on sockets (Angus {@code SMTPTransport.connect(Socket)}) talks over a
 * connection our Netty server accepted, TLS included (the channel's SslHandler stays in place;
 * this sees clear text). Reads wait at most the socket timeout; reading from the network pauses
 * while unread input piles up. Only what an SMTP client uses is supported; used off the event loop.
 */
final class ChannelSocket extends Socket {
    private static final byte[] EOF = new byte[0];
    private static final long PAUSE_BYTES = 256 * 1024;

    private final Channel channel;
    private final Duration writeTimeout;
    private final LinkedBlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    private final AtomicLong unread = new AtomicLong();
    private final Input input = new Input();
    private final Output output = new Output();
    private volatile int timeoutMillis;
    private volatile IOException failure;

    /** @param timeout how long a read or a write may wait, until {@link #setSoTimeout} says otherwise */
    ChannelSocket(Channel channel, Duration timeout) {
        this.channel = channel;
        this.writeTimeout = timeout;
        this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    }

    /**
     * Takes the connection of the SMTP server session handler at {@code session} over: the
     * server's handlers leave the pipeline (a TLS handler stays, so this socket reads and writes
     * clear text), the decoder's place goes to this socket's reader, with whatever the decoder
     * held, and reading resumes. Null when the client has left meanwhile.
     */
    static org.caravan.mail.TurnedConnection takeOver(ChannelHandlerContext session, SmtpLineDecoder decoder,
            org.caravan.mail.SessionInfo info, Duration timeout) {
        io.netty.channel.ChannelPipeline p = session.pipeline();
        ChannelSocket socket = new ChannelSocket(session.channel(), timeout);
        if (decoder != null) {
            p.replace(decoder, "turned", socket.reader()); // what the decoder holds goes to the socket
        } else {
            p.addBefore(session.name(), "turned", socket.reader());
        }
        for (String name : new String[] {"smtp-timeout", "handler"}) {
            if (p.get(name) != null) {
                p.remove(name);
            }
        }
        io.netty.handler.ssl.SslHandler ssl = p.get(io.netty.handler.ssl.SslHandler.class);
        javax.net.ssl.SSLSession tls = ssl == null ? null : ssl.engine().getSession();
        p.remove(session.handler());
        socket.channel.config().setAutoRead(true);
        if (!socket.channel.isActive()) {
            return null;
        }
        return new org.caravan.mail.TurnedConnection(info, socket, tls == null ? null : tls.getProtocol(),
                tls == null ? null : tls.getCipherSuite());
    }

    /** The pipeline handler that feeds this socket; it takes the place of the SMTP server's decoder. */
    ChannelInboundHandlerAdapter reader() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (!(msg instanceof ByteBuf buf)) {
                    ctx.fireChannelRead(msg);
                    return;
                }
                try {
                    byte[] bytes = new byte[buf.readableBytes()];
                    buf.readBytes(bytes);
                    if (bytes.length > 0) {
                        received.add(bytes);
                        if (unread.addAndGet(bytes.length) > PAUSE_BYTES) {
                            ctx.channel().config().setAutoRead(false);
                        }
                    }
                } finally {
                    buf.release();
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                received.add(EOF);
                ctx.fireChannelInactive();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                failure = cause instanceof IOException io ? io : new IOException(cause);
                received.add(EOF);
                ctx.close();
            }
        };
    }

    private final class Input extends InputStream {
        private byte[] chunk = new byte[0];
        private int pos;
        private boolean ended;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos == chunk.length && !next()) {
                return -1;
            }
            int n = Math.min(len, chunk.length - pos);
            System.arraycopy(chunk, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public int available() {
            return chunk.length - pos;
        }

        private boolean next() throws IOException {
            if (ended) {
                return false;
            }
            byte[] c;
            try {
                int t = timeoutMillis;
                c = t == 0 ? received.take() : received.poll(t, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while reading");
            }
            if (c == null) {
                throw new SocketTimeoutException("Read timed out");
            }
            if (c == EOF) {
                ended = true;
                received.add(EOF); // every later read sees the end too
                if (failure != null) {
                    throw failure;
                }
                return false;
            }
            if (unread.addAndGet(-c.length) <= PAUSE_BYTES / 2 && !channel.config().isAutoRead()) {
                channel.config().setAutoRead(true);
            }
            chunk = c;
            pos = 0;
            return true;
        }
    }

    /** Each write goes out at once and is waited for, so a client that stops reading stops us too. */
    private final class Output extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return;
            }
            ChannelFuture f = channel.writeAndFlush(Unpooled.copiedBuffer(b, off, len));
            try {
                if (!f.await(writeTimeout.toMillis())) {
                    channel.close();
                    throw new SocketTimeoutException("Write timed out");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while writing");
            }
            if (!f.isSuccess()) {
                throw f.cause() instanceof IOException io ? io : new IOException("write failed", f.cause());
            }
        }
    }

    @Override
    public InputStream getInputStream() throws IOException {
        if (!channel.isOpen() && received.isEmpty()) {
            throw new IOException("Socket is closed");
        }
        return input;
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        if (!channel.isOpen()) {
            throw new IOException("Socket is closed");
        }
        return output;
    }

    @Override
    public void setSoTimeout(int timeout) {
        timeoutMillis = timeout;
    }

    @Override
    public int getSoTimeout() {
        return timeoutMillis;
    }

    @Override
    public boolean isConnected() {
        return true;
    }

    @Override
    public boolean isBound() {
        return true;
    }

    @Override
    public boolean isClosed() {
        return !channel.isOpen();
    }

    @Override
    public synchronized void close() {
        channel.close();
    }

    @Override
    public InetAddress getInetAddress() {
        return address(channel.remoteAddress());
    }

    @Override
    public int getPort() {
        return channel.remoteAddress() instanceof InetSocketAddress a ? a.getPort() : 0;
    }

    @Override
    public InetAddress getLocalAddress() {
        return address(channel.localAddress());
    }

    @Override
    public int getLocalPort() {
        return channel.localAddress() instanceof InetSocketAddress a ? a.getPort() : -1;
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return channel.remoteAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return channel.localAddress();
    }

    /** The address with its literal as its name: Angus asks for a host name, which must not mean a DNS lookup. */
    private static InetAddress address(SocketAddress a) {
        if (!(a instanceof InetSocketAddress i) || i.getAddress() == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(i.getAddress().getHostAddress(), i.getAddress().getAddress());
        } catch (UnknownHostException e) {
            return i.getAddress(); // cannot happen: the address has 4 or 16 octets
        }
    }

    @Override
    public String toString() {
        return "ChannelSocket[" + channel + "]";
    }
}
