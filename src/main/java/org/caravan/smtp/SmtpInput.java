package org.caravan.smtp;

/** What {@link SmtpLineDecoder} emits: a line, a run of DATA text lines, or a piece of BDAT data. */
public sealed interface SmtpInput permits SmtpLine, SmtpText, SmtpChunk {

    /** The octets carried (without CRLF for a line). */
    byte[] content();
}
