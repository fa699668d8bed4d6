package org.caravan.runtime;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.slf4j.LoggerFactory;

/**
 * How the console log is written ({@code caravan.log.format}): {@code text} lines (logback.xml's
 * pattern), or one JSON object per line for log shippers (logback's {@link JsonEncoder}: timestamp,
 * level, thread, logger, MDC, {@code formattedMessage}, throwable). Switched when the router configures itself, so
 * the first few start-up lines stay text.
 */
public enum LogFormat {
    TEXT, JSON;

    /** Puts the root logger's console appenders ({@code CONSOLE} in logback.xml) on this format. */
    void apply() {
        if (this != JSON || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().forEachRemaining(appender -> {
            if (appender instanceof ConsoleAppender<ILoggingEvent> console && !(console.getEncoder() instanceof JsonEncoder)) {
                JsonEncoder json = new JsonEncoder();
                json.setContext(context);
                // the line as the text log has it, not the pattern and its arguments apart
                json.setWithFormattedMessage(true);
                json.setWithMessage(false);
                json.setWithArguments(false);
                json.setWithContext(false);
                json.setWithSequenceNumber(false);
                json.start();
                console.stop();
                console.setEncoder(json);
                console.start();
            }
        });
    }
}
