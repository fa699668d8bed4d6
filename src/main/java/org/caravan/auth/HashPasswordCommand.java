package org.caravan.auth;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.caravan.directory.PasswordHash;

/**
 * {@code java -jar caravan.jar hash-password [--cost N]}: reads a password (from the terminal
 * without echo, or the first line of stdin) and prints its bcrypt hash for a mailbox's
 * {@code password:} in the directory file. The password never appears on the command line, where
 * {@code ps} and shell history would show it.
 */
public final class HashPasswordCommand {
    public static final String NAME = "hash-password";

    private HashPasswordCommand() {
    }

    /** Exit status 0 with the hash on {@code out}, 2 with a message on {@code err}. */
    public static int run(String[] args, Console console, InputStream in, PrintStream out, PrintStream err) {
        int cost = PasswordHash.DEFAULT_COST;
        try {
            if (args.length == 3 && args[1].equals("--cost")) {
                cost = Integer.parseInt(args[2]);
            } else if (args.length != 1) {
                throw new IllegalArgumentException("unexpected arguments");
            }
            if (cost < PasswordHash.MIN_COST || cost > PasswordHash.MAX_COST) {
                throw new IllegalArgumentException("cost " + cost + " is out of range"); // before asking for the password
            }
            char[] password = console != null ? console.readPassword("Password: ") : firstLine(in);
            if (password == null) {
                throw new IllegalArgumentException("no password given");
            }
            out.println(PasswordHash.create(password, cost));
            return 0;
        } catch (IllegalArgumentException | IOException e) {
            err.println(NAME + ": " + e.getMessage());
            err.println("usage: java -jar caravan.jar " + NAME + " [--cost " + PasswordHash.MIN_COST + "-"
                    + PasswordHash.MAX_COST + ", default " + PasswordHash.DEFAULT_COST + "] < password-file");
            return 2;
        }
    }

    private static char[] firstLine(InputStream in) throws IOException {
        String line = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
        return line == null ? null : line.toCharArray();
    }
}
