package org.caravan.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger survives a process that never closed it, and forgets what completed or grew too old. */
class DeliveryLedgerTest {
    private static final Duration DAY = Duration.ofDays(1);

    @TempDir
    Path dir;

    private final Clock clock = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);

    @Test
    void aDeliveryRecordedBeforeACrashIsKnownAfterIt() {
        DeliveryLedger crashed = DeliveryLedger.open(dir, DAY, clock);
        crashed.recordDelivered("Q1", "bob@far.test", true, "mx.far.test[192.0.2.1]:25", "2.0.0", "250 2.0.0 ok");
        // never closed: the process died

        DeliveryLedger after = DeliveryLedger.open(dir, DAY, clock);
        DeliveryLedger.Entry entry = after.delivered("Q1", "bob@far.test").orElseThrow();
        assertThat(entry.remoteDsn()).isTrue();
        assertThat(entry.relay()).isEqualTo("mx.far.test[192.0.2.1]:25");
        assertThat(entry.status()).isEqualTo("2.0.0");
        assertThat(entry.diagnostic()).isEqualTo("250 2.0.0 ok");
        assertThat(after.delivered("Q1", "carol@far.test")).isEmpty();
        assertThat(after.delivered("Q2", "bob@far.test")).isEmpty();
    }

    @Test
    void aCompletedAttemptIsForgotten() {
        DeliveryLedger ledger = DeliveryLedger.open(dir, DAY, clock);
        ledger.recordDelivered("Q1", "a@far.test", false, "", "2.0.0", "ok");
        ledger.recordDelivered("Q1", "b@far.test", false, "", "2.0.0", "ok");
        ledger.recordDelivered("Q2", "a@far.test", false, "", "2.0.0", "ok");
        ledger.completed("Q1", List.of("a@far.test", "b@far.test", "never-delivered@far.test"));
        assertThat(ledger.delivered("Q1", "a@far.test")).isEmpty();

        DeliveryLedger after = DeliveryLedger.open(dir, DAY, clock);
        assertThat(after.delivered("Q1", "a@far.test")).isEmpty();
        assertThat(after.delivered("Q1", "b@far.test")).isEmpty();
        assertThat(after.delivered("Q2", "a@far.test")).isPresent();
        assertThat(after.pendingCount()).isEqualTo(1);
    }

    @Test
    void aTornLastLineCostsOnlyThatEntry() throws Exception {
        DeliveryLedger ledger = DeliveryLedger.open(dir, DAY, clock);
        ledger.recordDelivered("Q1", "a@far.test", false, "", "2.0.0", "ok");
        Files.writeString(dir.resolve("delivered.log"), "D\t17964", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);

        DeliveryLedger after = DeliveryLedger.open(dir, DAY, clock);
        assertThat(after.delivered("Q1", "a@far.test")).isPresent();
        assertThat(after.pendingCount()).isEqualTo(1);
    }

    @Test
    void entriesOlderThanTheMaximumAgeAreDroppedAtStart() {
        DeliveryLedger old = DeliveryLedger.open(dir, DAY, clock);
        old.recordDelivered("Q1", "a@far.test", false, "", "2.0.0", "ok");

        Clock twoDaysLater = Clock.offset(clock, Duration.ofDays(2));
        DeliveryLedger after = DeliveryLedger.open(dir, DAY, twoDaysLater);
        assertThat(after.delivered("Q1", "a@far.test")).isEmpty();
    }

    @Test
    void theFileIsRewrittenWithOnlyPendingEntriesWhenItGrows() throws Exception {
        DeliveryLedger ledger = DeliveryLedger.open(dir, DAY, clock);
        String padding = "x".repeat(900);
        for (int i = 0; i < 6000; i++) {
            ledger.recordDelivered("Q" + i, "a@far.test", false, "", "2.0.0", padding);
            if (i != 17) {
                ledger.completed("Q" + i, List.of("a@far.test"));
            }
        }
        assertThat(Files.size(dir.resolve("delivered.log"))).isLessThan(4L * 1024 * 1024);
        DeliveryLedger after = DeliveryLedger.open(dir, DAY, clock);
        assertThat(after.pendingCount()).isEqualTo(1);
        assertThat(after.delivered("Q17", "a@far.test")).isPresent();
    }
}
