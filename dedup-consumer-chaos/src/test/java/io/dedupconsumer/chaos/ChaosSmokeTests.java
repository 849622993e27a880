package io.dedupconsumer.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.testkit.TestDatabase;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chaos suite's bounded run for CI (about two minutes per database): the inventory consumer as separate processes
 * on a real broker and MariaDB, then PostgreSQL, under SIGKILLs, halts between the database commit and the offset
 * commit, a zombie, rebalances, database outages and a broker restart, then verified against the model. A new seed
 * every run, printed first; rerun a failure with {@code -Dchaos.seed=N}.
 */
class ChaosSmokeTests {

    static List<TestDatabase> databases() {
        return List.of(TestDatabase.mariadb(), TestDatabase.postgresql());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void everyEventTakesEffectExactlyOnceAndNothingIsLostUnderKillsRebalancesOutagesAndBrokerRestarts(
            TestDatabase database) {
        long seed = Long.getLong("chaos.seed", new SecureRandom().nextInt(1_000_000));

        ChaosSummary summary = ChaosRun.run(ChaosOptions.ci(seed).on(database), System.out);

        assertThat(summary.violations()).as("violations (seed %d, %s)", seed, database).isEmpty();
        assertThat(summary.records()).isPositive();
        assertThat(summary.sigkills() + summary.haltsAfterCommit() + summary.haltsBeforeCommit()).isPositive();
        assertThat(summary.rebalances()).isPositive();
        assertThat(summary.outages()).isPositive();
        assertThat(summary.brokerRestarts()).isPositive();
        assertThat(summary.unexpectedExits()).as("consumers that exited on their own").isZero();
    }
}
