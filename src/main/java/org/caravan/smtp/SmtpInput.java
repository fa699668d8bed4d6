package org.caravan.smtp;

/** What {@link SmtpLineDecoder} emits: a line (command or DATA text) or a piece of BDAT data. */
public sealed interface SmtpInput permits SmtpLine, SmtpChunk {

    /** The octets carried (without CRLF for a line). */
    byte[] content();
}
