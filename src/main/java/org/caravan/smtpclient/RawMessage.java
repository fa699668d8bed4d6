package org.caravan.smtpclient;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;

import org.caravan.mail.IoSupplier;
import org.caravan.mime.LongLineEncoder;
import org.eclipse.angus.mail.smtp.SMTPMessage;
import org.eclipse.angus.mail.util.CRLFOutputStream;

/**
 * An envelope-exact message for Angus {@code SMTPTransport}: {@link #writeTo} copies the queued
 * RFC 5322 bytes unchanged; headers are never parsed or rebuilt, so no Date or Message-ID is
 * added and {@code saveChanges()} is never called (principle 3: envelope apart from content).
 *
 * <p>What Angus 2.0.5 {@code SMTPTransport.sendMessage} does with the message (read in the source):
 * <ul>
 * <li>{@code mailFrom()} takes {@link #getEnvelopeFrom()}; only when that is null or EMPTY does it
 *     fall back to {@code mail.smtp.from} and then the From header. The null reverse-path
 *     (RFC 5321 §4.5.5) must therefore be {@code "<>"}, which {@code normalizeAddress} sends as is.</li>
 * <li>{@code getSubject()} is read for a monitoring probe that does nothing; our headers are empty.</li>
 * <li>{@code convertTo8Bit()} + {@code saveChanges()} run only with {@code mail.smtp.allow8bitmime}
 *     or {@code setAllow8bitMIME(true)}; both stay off here, so the content is never touched.</li>
 * <li>No SIZE parameter is computed and {@code getSize()} is never called; BDAT (only with
 *     {@code mail.smtp.chunksize} &gt; 0, which we leave unset) would also go through writeTo.</li>
 * <li>The bytes pass through {@code SMTPOutputStream}: CR or LF alone become CRLF (a bare LF is
 *     never sent, RFC 5321 §2.3.8) and a leading "." is doubled (§4.5.2); {@code finishData()}
 *     adds a final CRLF if missing, then "." CRLF.</li>
 * </ul>
 *
 * <p>Line ends (SMTP smuggling, CVE-2023-51764 class, the sending side): queued content may hold
 * bare CR or LF (content from other Camel endpoints, a returned original in a bounce, prepended
 * trace lines), and a next hop that took a bare LF as a line end could be made to see an end of
 * DATA and a smuggled message. Every one becomes CRLF, as Postfix's smtp client does. Angus's
 * {@code SMTPOutputStream} (a {@link CRLFOutputStream}, for DATA and BDAT alike) does it while
 * streaming, keeping state across writes, so "\r" at the end of one buffer and "\n" at the start
 * of the next stay one CRLF. {@link #writeTo} relies on that and, should it ever be handed any
 * other stream, adds the same conversion itself, so the guarantee never rests on the caller.
 * Content that already has CRLF line ends goes out byte for byte.
 * One instance serves one send attempt; the content supplier is opened once per writeTo, twice more
 * when it has a line over 998 octets (to plan and write its re-encoding, {@link LongLineEncoder}).
 */
public final class RawMessage extends SMTPMessage {
    private final IoSupplier<InputStream> content;
    private volatile boolean contentStarted;
    private volatile IOException contentFailure;

    public RawMessage(Session session, IoSupplier<InputStream> content) {
        super(session);
        this.content = Objects.requireNonNull(content, "content");
    }

    @Override
    public void writeTo(OutputStream os) throws IOException, MessagingException {
        writeTo(os, null);
    }

    @Override
    public void writeTo(OutputStream os, String[] ignoreList) throws IOException, MessagingException {
        // Reaching here means DATA was answered 354: from now on a retry could duplicate the message.
        contentStarted = true;
        OutputStream out = new LongLineFolding(os instanceof CRLFOutputStream ? os : new CRLFOutputStream(os));
        // No line over 998 octets goes out (ADR 0011): parts holding one are re-encoded, the rest folded.
        LongLineEncoder.Plan plan = null;
        try (InputStream in = open()) {
            if (LongLineEncoder.hasLongLine(in)) {
                try (InputStream again = open()) {
                    plan = LongLineEncoder.plan(again);
                }
            }
        }
        try (InputStream in = open()) {
            if (plan == null || plan.asIs()) {
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                }
            } else {
                LongLineEncoder.write(in, plan, out);
            }
        }
        out.flush();
    }

    /** Our copy of the content; a failure to read it is ours, not the remote host's. */
    private InputStream open() throws IOException {
        InputStream in;
        try {
            in = content.get();
        } catch (IOException e) {
            contentFailure = e;
            throw e;
        }
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (IOException e) {
                    contentFailure = e;
                    throw e;
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (IOException e) {
                    contentFailure = e;
                    throw e;
                }
            }
        };
    }

    /** True once the transport began sending the content (DATA was accepted). */
    public boolean contentStarted() {
        return contentStarted;
    }

    /** The error reading our own copy of the content, if that is what failed the send. */
    public IOException contentFailure() {
        return contentFailure;
    }

    /** Never rebuild headers: the bytes are final. */
    @Override
    public void saveChanges() {
    }
}
