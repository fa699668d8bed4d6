package org.caravan.gateway;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UnsupportedEncodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.activation.DataHandler;
import jakarta.activation.FileDataSource;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimeUtility;

/**
 * The JSON form of mail from another system: the document the outbound gateways send
 * ({@link GatewayDocument}, docs/gateway-message.schema.json) read back into an envelope and an
 * RFC 5322 message built with Angus Mail. Only {@code version} and {@code envelope} ({@code from},
 * {@code to}) are required; {@code queueId} is ignored (the router gives its own). The message is
 * made of {@code subject}, {@code from}, {@code to}, {@code cc}, {@code date}, {@code messageId},
 * {@code text}, {@code html} and {@code attachments} (each {@code content} base64, decoded into a
 * file as it is read, never whole in the heap); entries of {@code headers} that these do not make
 * are added as they are (encoded per RFC 2047 where not ASCII). A {@code ref} is refused: a file
 * path from another system is not something the router may read.
 */
public final class JsonSubmission {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Session MIME = Session.getInstance(new Properties());
    /** Fields the document's own members make, or MIME structure Angus writes: not copied from {@code headers}. */
    private static final Set<String> MADE_HERE = Set.of("subject", "from", "to", "cc", "date", "message-id",
            "mime-version", "content-type", "content-transfer-encoding", "content-disposition", "content-id");
    private static final Set<String> ADDRESS_FIELDS = Set.of("sender", "reply-to", "bcc", "resent-from",
            "resent-to", "resent-cc", "resent-sender");

    /** A document that cannot be read: the problem, for the sender. */
    public static final class BadDocument extends Exception {
        BadDocument(String message) {
            super(message);
        }
    }

    /** An envelope and the message, written to a file in the work directory that the caller deletes. */
    public record Parsed(InboundEnvelope envelope, Path message) {
    }

    private final int maxRecipients;
    private final long maxSize;

    public JsonSubmission(int maxRecipients, long maxSize) {
        this.maxRecipients = maxRecipients;
        this.maxSize = maxSize;
    }

    /**
     * Reads the document from {@code in}; its message goes to a new file in {@code workDir}.
     *
     * @throws BadDocument                     for what the sender must correct (400)
     * @throws InboundSpool.ContentRefused     when the document is over the size limit (413)
     */
    public Parsed read(InputStream in, Path workDir) throws IOException, BadDocument {
        return read(in, workDir, java.util.function.UnaryOperator.identity());
    }

    /** As {@link #read(InputStream, Path)}, the envelope's addresses put through {@code translate} first. */
    public Parsed read(InputStream in, Path workDir, java.util.function.UnaryOperator<String> translate)
            throws IOException, BadDocument {
        Files.createDirectories(workDir);
        List<Path> files = new ArrayList<>();
        boolean done = false;
        try (JsonParser json = JSON.getFactory().createParser(new Limited(in, maxSize * 4 / 3 + 65_536))) {
            Document doc = document(json, workDir, files, translate);
            Path message = Files.createTempFile(workDir, "submission-", ".eml");
            files.add(message);
            try (OutputStream out = Files.newOutputStream(message)) {
                doc.message().writeTo(out);
            } catch (MessagingException e) {
                throw new BadDocument("cannot make a message of the document: " + e.getMessage());
            }
            done = true;
            return new Parsed(doc.envelope, message);
        } catch (JsonProcessingException e) {
            throw new BadDocument("not a JSON document: " + e.getOriginalMessage());
        } catch (InboundEnvelope.InvalidEnvelope e) {
            throw new BadDocument("envelope: " + e.getMessage());
        } finally {
            for (int i = 0; i < files.size() - (done ? 1 : 0); i++) {
                Files.deleteIfExists(files.get(i)); // attachment files are in the message now
            }
        }
    }

    private Document document(JsonParser json, Path workDir, List<Path> files,
            java.util.function.UnaryOperator<String> translate) throws IOException, BadDocument {
        if (json.nextToken() != JsonToken.START_OBJECT) {
            throw new BadDocument("the document must be a JSON object");
        }
        Document doc = new Document();
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String field = json.currentName();
            json.nextToken();
            switch (field) {
                case "attachments" -> attachments(json, doc, workDir, files);
                default -> doc.fields.put(field, json.readValueAsTree());
            }
        }
        JsonNode version = doc.fields.get("version");
        if (version == null || version.asInt(-1) != GatewayDocument.VERSION) {
            throw new BadDocument("version must be " + GatewayDocument.VERSION);
        }
        JsonNode envelope = doc.fields.get("envelope");
        if (envelope == null || !envelope.isObject()) {
            throw new BadDocument("envelope (from, to) is missing");
        }
        doc.envelope = envelope(envelope, translate);
        return doc;
    }

    private InboundEnvelope envelope(JsonNode envelope, java.util.function.UnaryOperator<String> translate)
            throws BadDocument {
        JsonNode to = envelope.get("to");
        if (to == null || !to.isArray()) {
            throw new BadDocument("envelope.to must be an array of addresses");
        }
        List<String> recipients = new ArrayList<>();
        to.forEach(n -> recipients.add(n.asText()));
        Map<String, String> notify = new LinkedHashMap<>();
        JsonNode dsn = envelope.get("dsn");
        if (dsn != null && dsn.isArray()) {
            for (JsonNode entry : dsn) {
                JsonNode values = entry.get("notify");
                if (values != null && values.isArray() && !values.isEmpty()) {
                    List<String> words = new ArrayList<>();
                    values.forEach(v -> words.add(v.asText()));
                    notify.put(entry.path("recipient").asText(), String.join(",", words));
                }
            }
        }
        return InboundEnvelope.of(text(envelope, "from"), recipients, text(envelope, "ret"), text(envelope, "envid"),
                notify, maxRecipients, translate);
    }

    private static void attachments(JsonParser json, Document doc, Path workDir, List<Path> files)
            throws IOException, BadDocument {
        if (json.currentToken() == JsonToken.VALUE_NULL) {
            return;
        }
        if (json.currentToken() != JsonToken.START_ARRAY) {
            throw new BadDocument("attachments must be an array");
        }
        while (json.nextToken() == JsonToken.START_OBJECT) {
            Attachment a = new Attachment();
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.currentName();
                JsonToken value = json.nextToken();
                switch (field) {
                    case "content" -> {
                        if (value != JsonToken.VALUE_STRING) {
                            throw new BadDocument("attachments[].content must be base64 text");
                        }
                        a.file = Files.createTempFile(workDir, "attachment-", ".bin");
                        files.add(a.file);
                        try (OutputStream out = Files.newOutputStream(a.file)) {
                            json.readBinaryValue(out);
                        }
                    }
                    case "ref" -> throw new BadDocument("attachments[].ref is not accepted: send the content, base64");
                    default -> a.fields.put(field, json.readValueAsTree());
                }
            }
            if (a.file == null) {
                throw new BadDocument("attachments[] without content");
            }
            doc.attachments.add(a);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static final class Attachment {
        final Map<String, JsonNode> fields = new LinkedHashMap<>();
        Path file;

        MimeBodyPart part() throws MessagingException, BadDocument {
            MimeBodyPart part = new MimeBodyPart();
            String type = fields.containsKey("contentType") ? fields.get("contentType").asText("") : "";
            FileDataSource source = new FileDataSource(file.toFile()) {
                @Override
                public String getContentType() {
                    return type.isBlank() ? "application/octet-stream" : type;
                }
            };
            part.setDataHandler(new DataHandler(source));
            // base64 whatever the type: a text/* attachment keeps its octets (its LF line ends too)
            part.setHeader("Content-Transfer-Encoding", "base64");
            String name = fields.containsKey("filename") && !fields.get("filename").isNull()
                    ? fields.get("filename").asText() : null;
            part.setDisposition(MimeBodyPart.ATTACHMENT);
            if (name != null) {
                try {
                    part.setFileName(MimeUtility.encodeText(name, "UTF-8", null));
                } catch (UnsupportedEncodingException e) {
                    throw new IllegalStateException(e);
                }
            }
            JsonNode cid = fields.get("contentId");
            if (cid != null && !cid.isNull() && !cid.asText().isBlank()) {
                part.setContentID(cid.asText());
            }
            return part;
        }
    }

    private static final class Document {
        final Map<String, JsonNode> fields = new LinkedHashMap<>();
        final List<Attachment> attachments = new ArrayList<>();
        InboundEnvelope envelope;

        MimeMessage message() throws MessagingException, BadDocument {
            MimeMessage m = new KeepMessageId();
            JsonNode headers = fields.get("headers");
            if (headers != null && headers.isArray()) {
                for (JsonNode h : headers) {
                    String name = h.path("name").asText("");
                    if (!name.isEmpty() && !MADE_HERE.contains(name.toLowerCase(Locale.ROOT))) {
                        m.addHeader(name, encoded(name, h.path("value").asText("")));
                    }
                }
            }
            String subject = text("subject");
            if (subject != null) {
                m.setSubject(subject, "UTF-8");
            }
            InternetAddress[] from = addresses("from");
            if (from.length > 0) {
                m.addFrom(from);
            }
            m.setRecipients(MimeMessage.RecipientType.TO, addresses("to"));
            m.setRecipients(MimeMessage.RecipientType.CC, addresses("cc"));
            String date = text("date");
            if (date != null) {
                try {
                    m.setSentDate(Date.from(Instant.parse(date)));
                } catch (DateTimeParseException e) {
                    throw new BadDocument("date must be an ISO 8601 instant such as 2026-12-06T10:15:30Z, not '" + date + "'");
                }
            }
            String messageId = text("messageId");
            if (messageId != null && !messageId.isBlank()) {
                m.setHeader("Message-ID", messageId.startsWith("<") ? messageId : "<" + messageId + ">");
            }
            body(m);
            m.saveChanges();
            if (date == null) {
                m.removeHeader("Date"); // the receive stage dates submissions, in one place (SubmissionHeaders)
            }
            return m;
        }

        private void body(MimeMessage m) throws MessagingException, BadDocument {
            String text = text("text");
            String html = text("html");
            MimeMultipart alternative = null;
            if (text != null && html != null) {
                alternative = new MimeMultipart("alternative");
                MimeBodyPart plain = new MimeBodyPart();
                plain.setText(text, "UTF-8");
                MimeBodyPart rich = new MimeBodyPart();
                rich.setText(html, "UTF-8", "html");
                alternative.addBodyPart(plain);
                alternative.addBodyPart(rich);
            }
            if (attachments.isEmpty()) {
                if (alternative != null) {
                    m.setContent(alternative);
                } else if (html != null) {
                    m.setText(html, "UTF-8", "html");
                } else {
                    m.setText(text == null ? "" : text, "UTF-8");
                }
                return;
            }
            MimeMultipart mixed = new MimeMultipart("mixed");
            MimeBodyPart first = new MimeBodyPart();
            if (alternative != null) {
                first.setContent(alternative);
                mixed.addBodyPart(first);
            } else if (text != null || html != null) {
                first.setText(html != null ? html : text, "UTF-8", html != null ? "html" : "plain");
                mixed.addBodyPart(first);
            }
            for (Attachment a : attachments) {
                mixed.addBodyPart(a.part());
            }
            m.setContent(mixed);
        }

        private String text(String field) {
            JsonNode v = fields.get(field);
            return v == null || v.isNull() ? null : v.asText();
        }

        private InternetAddress[] addresses(String field) throws BadDocument {
            JsonNode list = fields.get(field);
            if (list == null || list.isNull()) {
                return new InternetAddress[0];
            }
            if (!list.isArray()) {
                throw new BadDocument(field + " must be an array of {name, address}");
            }
            List<InternetAddress> result = new ArrayList<>();
            for (JsonNode a : list) {
                try {
                    InternetAddress address = new InternetAddress(a.path("address").asText(""), true);
                    String name = a.path("name").isNull() ? null : a.path("name").asText(null);
                    if (name != null && !name.isBlank()) {
                        address.setPersonal(name, "UTF-8");
                    }
                    result.add(address);
                } catch (AddressException | UnsupportedEncodingException e) {
                    throw new BadDocument(field + ": '" + a.path("address").asText("") + "' is not an address");
                }
            }
            return result.toArray(new InternetAddress[0]);
        }

        private static String encoded(String name, String value) throws BadDocument {
            if (org.caravan.mail.MailboxParser.isAscii(value)) {
                return value;
            }
            try {
                if (ADDRESS_FIELDS.contains(name.toLowerCase(Locale.ROOT))) {
                    InternetAddress[] list = InternetAddress.parseHeader(value, false);
                    for (InternetAddress a : list) {
                        if (a.getPersonal() != null) {
                            a.setPersonal(a.getPersonal(), "UTF-8");
                        }
                    }
                    return InternetAddress.toString(list, name.length() + 2);
                }
                return MimeUtility.fold(name.length() + 2, MimeUtility.encodeText(value, "UTF-8", null));
            } catch (AddressException | UnsupportedEncodingException e) {
                throw new BadDocument("header " + name + ": '" + value + "' cannot be written");
            }
        }
    }

    /**
     * Keeps the Message-ID the document gave, and adds none: Angus would make one on saveChanges
     * with this JVM's host name; the receive stage gives submissions one with the router's.
     */
    private static final class KeepMessageId extends MimeMessage {
        KeepMessageId() {
            super(MIME);
        }

        @Override
        protected void updateMessageID() {
            // as given, or left to SubmissionHeaders
        }
    }

    /** Stops reading past the limit: a document that large is refused before it fills the disk. */
    private static final class Limited extends FilterInputStream {
        private final long limit;
        private long count;

        Limited(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) throws IOException {
            count += n;
            if (count > limit) {
                throw new InboundSpool.ContentRefused("the document exceeds the size limit", true);
            }
        }
    }
}
