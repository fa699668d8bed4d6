package org.caravan.runtime;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;

import org.apache.camel.CamelContext;
import org.apache.camel.StartupSummaryLevel;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.RouteTemplateDefinition;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;

/**
 * The route files in caravan.routes.dir, and what is wrong with one: each is parsed on its own, in
 * a scratch Camel context that is never started (so nothing binds a port or consumes a queue), and
 * a problem is told as {@code file:line:column: what}, the way a compiler would.
 */
public final class RouteFiles {
    private RouteFiles() {
    }

    /** The *.camel.yaml and *.camel.xml files of {@code dir} and of its {@code gateways} folder, sorted. */
    public static List<Path> in(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path d : List.of(dir, dir.resolve("gateways"))) {
            if (d != dir && !Files.isDirectory(d)) {
                continue;
            }
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(d, "*.camel.{yaml,xml}")) {
                stream.forEach(files::add);
            }
        }
        files.sort(null);
        return files;
    }

    /**
     * {@code file} parsed into a scratch context with {@code properties} for its placeholders; the
     * caller closes it. Its route definitions, templates, configurations and beans are the file's.
     *
     * @throws RouteFileException naming file, line and column when the file does not parse
     */
    public static CamelContext parse(Path file, Properties properties) throws RouteFileException {
        return parse(file, properties, List.of());
    }

    /**
     * As {@link #parse(Path, Properties)}, with the route templates of other files known, so a
     * {@code templatedRoute} may name one (routes/gateways/fetch-*.camel.yaml uses the
     * fetch-mailbox template of routes/inbound.camel.yaml). They are not the file's own:
     * {@code getRouteTemplateDefinitions()} of the result holds them too.
     */
    public static CamelContext parse(Path file, Properties properties, Collection<RouteTemplateDefinition> templates)
            throws RouteFileException {
        DefaultCamelContext scratch = new DefaultCamelContext();
        scratch.setStartupSummaryLevel(StartupSummaryLevel.Off); // no lifecycle lines
        scratch.getPropertiesComponent().setInitialProperties(properties);
        try {
            if (!templates.isEmpty()) {
                scratch.addRouteTemplateDefinitions(templates);
            }
            PluginHelper.getRoutesLoader(scratch).loadRoutes(
                    ResourceHelper.resolveResource(scratch, "file:" + file.toAbsolutePath()));
            return scratch;
        } catch (Exception e) {
            try {
                scratch.close();
            } catch (Exception ignored) {
                // a context that never started has nothing to release
            }
            throw new RouteFileException(describe(file, e));
        }
    }

    /** "file:line:col: problem" from a YAML parser mark in the cause chain, else "file: root cause". */
    static String describe(Path file, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYamlEngineException m && m.getProblemMark().isPresent()) {
                var mark = m.getProblemMark().get();
                return file + ":" + (mark.getLine() + 1) + ":" + (mark.getColumn() + 1) + ": " + m.getProblem();
            }
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return file + ": " + root.getMessage();
    }

    /** A route file that cannot be used; the message is the whole story, no stack trace needed. */
    public static final class RouteFileException extends Exception {
        public RouteFileException(String message) {
            super(message, null, false, false);
        }
    }
}
