package org.caravan.envelope;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The README's table of envelope headers names every header EnvelopeHeaders declares, and no other. */
class EnvelopeHeadersDocumentedTest {
    @Test
    void everyEnvelopeHeaderHasAReadmeRow() throws Exception {
        List<String> declared = new ArrayList<>();
        for (Field f : EnvelopeHeaders.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class
                    && ((String) f.get(null)).startsWith("Caravan")) {
                declared.add((String) f.get(null));
            }
        }
        String readme = Files.readString(Path.of("README.md"));
        String table = readme.substring(readme.indexOf("### Envelope headers"), readme.indexOf("## Retry and bounce"));
        List<String> rows = table.lines().filter(l -> l.startsWith("| `Caravan"))
                .map(l -> l.substring(3, l.indexOf('`', 3))).toList();
        assertThat(rows).containsExactlyInAnyOrderElementsOf(declared);
    }
}
