package org.caravan.directory;

import java.nio.file.Path;

/**
 * The directory file cannot be used. The message starts with "file:line: " (line 1-based, as
 * editors count) so an operator can go straight to the mistake; line is 0 when the problem is not
 * tied to a line (file missing or unreadable), and the message is then "file: ...".
 */
public class DirectoryException extends RuntimeException {
    private final Path file;
    private final int line;

    public DirectoryException(Path file, int line, String problem) {
        this(file, line, problem, null);
    }

    public DirectoryException(Path file, int line, String problem, Throwable cause) {
        super(file + (line > 0 ? ":" + line : "") + ": " + problem, cause);
        this.file = file;
        this.line = line;
    }

    public Path file() {
        return file;
    }

    /** 1-based line of the problem, 0 when unknown. */
    public int line() {
        return line;
    }
}
