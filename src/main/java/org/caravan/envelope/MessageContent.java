package org.caravan.envelope;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.camel.Exchange;
import org.apache.camel.StreamCache;
import org.caravan.mail.IoSupplier;

/**
 * The raw message bytes of a queued message, readable as often as a stage needs them without
 * ever holding a large message whole in the heap: a small message arrives from the broker as
 * bytes, a large one as a Camel stream cache that spills to disk.
 */
public final class MessageContent {
    private MessageContent() {
    }

    /**
     * A fresh stream over the whole content, from the start; the caller closes it. Header lines in
     * {@link EnvelopeHeaders#PREPEND} (added by expansion) come first, then the stored bytes.
     */
    public static InputStream open(Exchange exchange) throws IOException {
        InputStream stored = open(exchange, exchange.getMessage().getBody());
        String prepend = exchange.getMessage().getHeader(EnvelopeHeaders.PREPEND, String.class);
        if (prepend == null || prepend.isEmpty()) {
            return stored;
        }
        return new SequenceInputStream(
                new ByteArrayInputStream(prepend.getBytes(StandardCharsets.UTF_8)), stored);
    }

    /** The length of {@link #open(Exchange)}'s stream in octets, without reading it where the body knows its length. */
    public static long size(Exchange exchange) throws IOException {
        Object body = exchange.getMessage().getBody();
        String prepend = exchange.getMessage().getHeader(EnvelopeHeaders.PREPEND, String.class);
        long prepended = prepend == null ? 0 : prepend.getBytes(StandardCharsets.UTF_8).length;
        if (body instanceof byte[] bytes) {
            return prepended + bytes.length;
        }
        if (body instanceof StreamCache cache && cache.length() >= 0) {
            return prepended + cache.length();
        }
        if (body instanceof File file) {
            return prepended + file.length();
        }
        try (InputStream in = open(exchange)) {
            return in.transferTo(OutputStream.nullOutputStream());
        }
    }

    /** The content as a plain value for a stage bean: each call opens a fresh stream ({@link #open(Exchange)}). */
    public static IoSupplier<InputStream> source(Exchange exchange) {
        return () -> open(exchange);
    }

    /** A re-readable form of the body to keep aside while the exchange body changes (split). */
    public static Object retain(Exchange exchange) throws IOException {
        return retain(exchange, exchange.getMessage().getBody());
    }

    /** A copy of {@code content} with its own read position (content itself if it has none). */
    public static Object retain(Exchange exchange, Object content) throws IOException {
        return content instanceof StreamCache cache ? cache.copy(exchange) : content;
    }

    public static InputStream open(Exchange exchange, Object body) throws IOException {
        if (body instanceof byte[] bytes) {
            return new ByteArrayInputStream(bytes);
        }
        if (body instanceof StreamCache cache) {
            // A copy has its own position, so concurrent or repeated readers never interfere.
            StreamCache copy = cache.copy(exchange);
            if (copy instanceof InputStream in) {
                return in;
            }
            return exchange.getContext().getTypeConverter().convertTo(InputStream.class, exchange, copy);
        }
        if (body instanceof File file) {
            return Files.newInputStream(file.toPath());
        }
        if (body instanceof Path path) {
            return Files.newInputStream(path);
        }
        if (body == null) {
            throw new IOException("message has no content");
        }
        byte[] bytes = exchange.getContext().getTypeConverter().convertTo(byte[].class, exchange, body);
        if (bytes == null) {
            throw new IOException("cannot read message content of type " + body.getClass().getName());
        }
        return new ByteArrayInputStream(bytes);
    }
}
