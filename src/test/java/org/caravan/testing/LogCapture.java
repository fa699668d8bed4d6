package org.caravan.testing;

import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

/**
 * The lines one logger writes during a test (at INFO, whatever logback-test.xml says), as a router
 * in this JVM writes them; close to detach and restore the level.
 */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final Level before;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private LogCapture(String name) {
        logger = (Logger) LoggerFactory.getLogger(name);
        before = logger.getLevel();
        logger.setLevel(Level.INFO);
        appender.start();
        logger.addAppender(appender);
    }

    public static LogCapture of(String logger) {
        return new LogCapture(logger);
    }

    /** The formatted messages so far. */
    public List<String> lines() {
        synchronized (appender) { // AppenderBase.doAppend appends under the appender's own lock
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
        logger.setLevel(before);
    }
}
