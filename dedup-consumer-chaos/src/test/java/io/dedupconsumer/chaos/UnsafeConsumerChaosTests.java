package io.dedupconsumer.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.examples.inventory.oracle.Verification;
import org.junit.jupiter.api.Test;

/**
 * The suite must be able to fail. The same inventory service, made unsafe by committing each record's offset before
 * its database transaction (what auto-commit or an early acknowledgement does), halted right before database commits:
 * the records it was working on are lost, and the audit and the final verification say which. On MariaDB, or the
 * database {@code -Dchaos.database} names.
 */
class UnsafeConsumerChaosTests {

    @Test
    void aConsumerThatCommitsOffsetsBeforeTheDatabaseIsCaughtLosingEvents() {
        ChaosOptions options = ChaosOptions.unsafe(Long.getLong("chaos.seed", 11)).on(ChaosOptions.chosenDatabase());

        ChaosSummary summary = ChaosRun.run(options, System.out);

        assertThat(summary.haltsBeforeCommit()).isPositive();
        assertThat(summary.passed()).isFalse();
        assertThat(summary.verification().failures()).extracting(Verification.Check::name)
                .contains("committed offsets found ahead of their effects");
        assertThat(summary.violations()).anyMatch(violation -> violation.contains("had no dedup row or dead letter"));
    }
}
