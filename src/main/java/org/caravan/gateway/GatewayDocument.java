package org.caravan.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UnsupportedEncodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import jakarta.mail.Address;
import jakarta.mail.Header;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimePart;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.util.SharedFileInputStream;
import org.caravan.mail.RecipientDsn;
import org.caravan.smtpclient.Envelope;

/**
 * The JSON form of a message for gateways with {@code format: json}: version 1 of the document
 * described by {@code docs/gateway-message.schema.json}. MIME is parsed by Angus Mail from a file
 * (a {@link SharedFileInputStream}, so no part is held whole in the heap); attachments larger than
 * {@code inlineLimit} octets are not inlined as base64 but left in a file whose path is the
 * attachment's {@code ref}, kept until the attempt is over.
 */
public final class GatewayDocument {
    public static final int VERSION = 1;
    private static final JsonFactory JSON = new JsonFactory();
    private static final Session MIME = Session.getInstance(new Properties());

    private final long inlineLimit;

    public GatewayDocument(long inlineLimit) {
        this.inlineLimit = inlineLimit;
    }

    /**
     * Writes the document of the message in {@code spooled} (its RFC 5322 bytes) to {@code out}.
     * Attachment files it leaves for {@code ref}s are created in {@code workDir}.
     *
     * @throws MessagingException when the content cannot be parsed as MIME at all
     */
    public void write(String queueId, Envelope envelope, Path spooled, Path workDir, OutputStream out)
            throws IOException, MessagingException {
        write(queueId, envelope, envelope.recipients(), spooled, workDir, out);
    }

    /**
     * As {@link #write(String, Envelope, Path, Path, OutputStream)}, with the recipients also in the
     * target system's addressing ({@code envelope.gatewayTo}, in the order of {@code envelope.to}).
     */
    public void write(String queueId, Envelope envelope, List<String> gatewayTo, Path spooled, Path workDir,
            OutputStream out) throws IOException, MessagingException {
        try (SharedFileInputStream in = new SharedFileInputStream(spooled.toFile());
             JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            MimeMessage message = new MimeMessage(MIME, in);
            json.writeStartObject();
            json.writeNumberField("version", VERSION);
            json.writeStringField("queueId", queueId);
            writeEnvelope(json, envelope, gatewayTo);
            writeHeaders(json, message);
            json.writeStringField("subject", message.getSubject());
            writeAddresses(json, "from", lenient(() -> message.getFrom()));
            writeAddresses(json, "to", lenient(() -> message.getRecipients(MimeMessage.RecipientType.TO)));
            writeAddresses(json, "cc", lenient(() -> message.getRecipients(MimeMessage.RecipientType.CC)));
            Date date = lenient(message::getSentDate);
            json.writeStringField("date", date == null ? null : date.toInstant().toString());
            json.writeStringField("messageId", message.getMessageID());
            Body body = new Body();
            walk(message, body);
            json.writeStringField("text", body.text);
            json.writeStringField("html", body.html);
            json.writeArrayFieldStart("attachments");
            int n = 0;
            for (Part attachment : body.attachments) {
                writeAttachment(json, attachment, workDir.resolve("attachment-" + (++n)));
            }
            json.writeEndArray();
            json.writeEndObject();
        }
    }

    private static void writeEnvelope(JsonGenerator json, Envelope envelope, List<String> gatewayTo) throws IOException {
        json.writeObjectFieldStart("envelope");
        json.writeStringField("from", envelope.sender());
        json.writeArrayFieldStart("to");
        for (String recipient : envelope.recipients()) {
            json.writeString(recipient);
        }
        json.writeEndArray();
        json.writeArrayFieldStart("gatewayTo");
        for (String recipient : gatewayTo) {
            json.writeString(recipient);
        }
        json.writeEndArray();
        json.writeStringField("ret", absentIfEmpty(envelope.ret()));
        json.writeStringField("envid", absentIfEmpty(envelope.envid()));
        json.writeStringField("body", absentIfEmpty(envelope.bodyType()));
        json.writeArrayFieldStart("dsn");
        for (String recipient : envelope.recipients()) {
            RecipientDsn dsn = RecipientDsn.of(envelope.dsn(), recipient);
            json.writeStartObject();
            json.writeStringField("recipient", recipient);
            json.writeArrayFieldStart("notify");
            for (RecipientDsn.Notify notify : dsn.notifyOn()) {
                json.writeString(notify.name());
            }
            json.writeEndArray();
            json.writeStringField("orcpt", dsn.orcpt());
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeEndObject();
    }

    /** The envelope says "" for a parameter the client did not give; the document says null. */
    private static String absentIfEmpty(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    /** Every header field in order, values unfolded and decoded (RFC 2047). */
    private static void writeHeaders(JsonGenerator json, MimeMessage message) throws IOException, MessagingException {
        json.writeArrayFieldStart("headers");
        Enumeration<Header> headers = message.getAllHeaders();
        while (headers.hasMoreElements()) {
            Header h = headers.nextElement();
            json.writeStartObject();
            json.writeStringField("name", h.getName());
            json.writeStringField("value", decode(MimeUtility.unfold(h.getValue() == null ? "" : h.getValue().strip())));
            json.writeEndObject();
        }
        json.writeEndArray();
    }

    private static String decode(String value) {
        try {
            return MimeUtility.decodeText(value);
        } catch (UnsupportedEncodingException e) {
            return value; // an unknown charset: the field as it was sent
        }
    }

    private static void writeAddresses(JsonGenerator json, String field, Address[] addresses) throws IOException {
        json.writeArrayFieldStart(field);
        for (Address a : addresses == null ? new Address[0] : addresses) {
            json.writeStartObject();
            if (a instanceof InternetAddress ia) {
                json.writeStringField("name", ia.getPersonal());
                json.writeStringField("address", ia.getAddress());
            } else {
                json.writeStringField("name", null);
                json.writeStringField("address", a.toString());
            }
            json.writeEndObject();
        }
        json.writeEndArray();
    }

    /** The first text/plain and text/html bodies, and every other leaf part as an attachment. */
    private static final class Body {
        String text;
        String html;
        final List<Part> attachments = new ArrayList<>();
    }

    private static void walk(Part part, Body body) throws IOException, MessagingException {
        String type = lenient(part::getContentType);
        ContentType contentType = parseType(type);
        if (contentType.match("multipart/*") && part.getContent() instanceof Multipart multipart) {
            for (int i = 0; i < multipart.getCount(); i++) {
                walk(multipart.getBodyPart(i), body);
            }
            return;
        }
        boolean attached = Part.ATTACHMENT.equalsIgnoreCase(lenient(part::getDisposition))
                || lenient(part::getFileName) != null;
        if (!attached && contentType.match("text/plain") && body.text == null) {
            body.text = text(part);
        } else if (!attached && contentType.match("text/html") && body.html == null) {
            body.html = text(part);
        } else {
            body.attachments.add(part);
        }
    }

    private static String text(Part part) throws IOException, MessagingException {
        Object content = part.getContent();
        return content instanceof String s ? s : new String(part.getInputStream().readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    private void writeAttachment(JsonGenerator json, Part part, Path file) throws IOException, MessagingException {
        long size;
        try (InputStream decoded = part.getInputStream()) {
            size = Files.copy(decoded, file);
        }
        json.writeStartObject();
        json.writeStringField("filename", lenient(part::getFileName));
        json.writeStringField("contentType", baseType(lenient(part::getContentType)));
        json.writeNumberField("size", size);
        json.writeStringField("contentId", part instanceof MimePart mp ? lenient(mp::getContentID) : null);
        if (size <= inlineLimit) {
            try (InputStream in = Files.newInputStream(file)) {
                json.writeFieldName("content");
                json.writeBinary(Base64Variants.MIME_NO_LINEFEEDS, in, (int) size);
            }
            Files.delete(file);
        } else {
            json.writeStringField("ref", file.toAbsolutePath().toString());
        }
        json.writeEndObject();
    }

    private static ContentType parseType(String type) {
        try {
            return new ContentType(type == null ? "text/plain" : type);
        } catch (jakarta.mail.internet.ParseException e) {
            return new ContentType("application", "octet-stream", null); // RFC 2045 §5.2: unreadable types
        }
    }

    private static String baseType(String type) {
        return parseType(type).getBaseType().toLowerCase(Locale.ROOT);
    }

    /** A header the message gets wrong (a malformed address, an unparseable date) reads as absent. */
    private static <T> T lenient(MimeCall<T> call) {
        try {
            return call.get();
        } catch (MessagingException | RuntimeException e) {
            return null;
        }
    }

    @FunctionalInterface
    private interface MimeCall<T> {
        T get() throws MessagingException;
    }
}
