package org.caravan.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

/** The shipped JSON Schema of the gateway document (docs/gateway-message.schema.json), for checking produced documents. */
public final class GatewaySchema {
    private static final JsonSchema SCHEMA = load();

    private GatewaySchema() {
    }

    private static JsonSchema load() {
        try (InputStream in = Files.newInputStream(TestRouter.projectPath("docs/gateway-message.schema.json"))) {
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the schema finds wrong with {@code document}; empty when it is valid. */
    public static Set<ValidationMessage> problems(JsonNode document) {
        return SCHEMA.validate(document);
    }
}
