package org.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The declarations in {@link SettingsCatalog} are the one source: application.properties and the
 * README tables must say what they say, and nothing they do not.
 */
class SettingsCatalogTest {
    private static final Pattern PROPERTY = Pattern.compile("^(caravan\\.[a-z0-9.\\-]+)\\s*=\\s*(.*)$");
    private static final Pattern ROW = Pattern.compile("^\\| `(caravan\\.[a-z0-9.\\-]+)` \\|.*\\|$");

    private static Map<String, String> applicationProperties() throws IOException {
        Map<String, String> active = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("src/main/resources/application.properties"), StandardCharsets.UTF_8)) {
            Matcher m = PROPERTY.matcher(line.strip());
            if (m.matches()) {
                active.put(m.group(1), m.group(2).strip());
            }
        }
        return active;
    }

    /** The README rows of settings (the queue table's rows name queues, the shipped broker.xml's, not settings). */
    private static Map<String, String> readmeRows() throws IOException {
        Set<String> queues = new java.util.HashSet<>();
        Matcher queue = Pattern.compile("<queue name=\"([^\"]+)\"").matcher(
                Files.readString(Path.of("broker/broker.xml"), StandardCharsets.UTF_8));
        while (queue.find()) {
            queues.add(queue.group(1));
        }
        Map<String, String> rows = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("README.md"), StandardCharsets.UTF_8)) {
            Matcher m = ROW.matcher(line);
            if (m.matches() && !queues.contains(m.group(1))) {
                rows.put(m.group(1), line);
            }
        }
        return rows;
    }

    @Test
    void applicationPropertiesHoldsEachDeclaredDefaultAndNothingUndeclared() throws IOException {
        Map<String, String> file = applicationProperties();
        Set<String> declared = new HashSet<>();
        for (Setting<?> s : SettingsCatalog.ALL) {
            declared.add(s.name());
            if (s.defaultValue() == null || s.formerly() != null) {
                assertThat(file).as("%s is computed or has an old name: unset in application.properties", s.name())
                        .doesNotContainKey(s.name());
            } else {
                assertThat(file).as(s.name()).containsEntry(s.name(), s.defaultValue());
            }
        }
        assertThat(declared).as("every caravan.* property in application.properties is declared")
                .containsAll(file.keySet());
    }

    @Test
    void theReadmeTablesShowEachDeclarationAndNothingUndeclared() throws IOException {
        Map<String, String> rows = readmeRows();
        for (Setting<?> s : SettingsCatalog.ALL) {
            assertThat(rows.get(s.name())).as("README row of %s", s.name())
                    .isEqualTo("| `" + s.name() + "` | " + s.documented() + " | " + s.description() + " |");
        }
        assertThat(SettingsCatalog.ALL).extracting(Setting::name).containsAll(rows.keySet());
    }

    @Test
    void everyDefaultParses() {
        Settings defaults = Settings.from(key -> null);
        for (Setting<?> s : SettingsCatalog.ALL) {
            assertThat(defaults.get(s)).as(s.name()).isNotNull();
        }
        assertThat(SettingsCatalog.ALL).extracting(Setting::name).doesNotHaveDuplicates();
    }

    @Test
    void oldSecondsNamesStillApplyAndTheNewNamesWin() {
        Settings old = Settings.from(Map.of("caravan.relay.connect-timeout-seconds", "45",
                "caravan.relay.command-timeout-seconds", "600", "caravan.dns.timeout-seconds", "2")::get);
        assertThat(old.get(SettingsCatalog.RELAY_CONNECT_TIMEOUT)).isEqualTo(Duration.ofSeconds(45));
        assertThat(old.get(SettingsCatalog.RELAY_COMMAND_TIMEOUT)).isEqualTo(Duration.ofMinutes(10));
        assertThat(old.get(SettingsCatalog.DNS_TIMEOUT)).isEqualTo(Duration.ofSeconds(2));
        Settings both = Settings.from(Map.of("caravan.relay.connect-timeout-seconds", "45",
                "caravan.relay.connect-timeout", "1m")::get);
        assertThat(both.get(SettingsCatalog.RELAY_CONNECT_TIMEOUT)).isEqualTo(Duration.ofMinutes(1));
        assertThat(Settings.from(key -> null).get(SettingsCatalog.RELAY_COMMAND_TIMEOUT)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void undeclaredNamesAreFoundButOldNamesAreKnown() {
        assertThat(Settings.undeclared(List.of("caravan.smtp.port", "caravan.smtp.prot", "caravan.dns.timeout-seconds",
                "camel.main.name", "caravan.relay.concurency"))).containsExactly("caravan.relay.concurency",
                "caravan.smtp.prot");
    }

    @Test
    void aDeclarationsTypeNamesTheSettingInErrors() {
        List<String> bad = List.of("caravan.relay.connect-timeout", "caravan.smtp.port", "caravan.vrfy");
        for (String name : bad) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Settings.from(Map.of(name, "soon-ish")::get))
                    .hasMessageStartingWith("setting " + name + " must be ");
        }
    }
}
