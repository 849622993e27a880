package io.dedupconsumer.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.testkit.TestDatabase;
import java.security.SecureRandom;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chaos suite's bounded run for CI (about two minutes per database): the inventory consumer as separate processes
 * on a real broker and MariaDB (classic group protocol), then PostgreSQL (KIP-848's consumer protocol), under SIGKILLs, halts between the database commit and the offset
 * commit, a zombie, rebalances, database outages and a broker restart, then verified against the model. A new seed
 * every run, printed first; rerun a failure with {@code -Dchaos.seed=N}.
 */
class ChaosSmokeTests {

    /**
     * MariaDB with the classic group protocol, PostgreSQL with KIP-848's consumer protocol;
     * {@code -Dchaos.databases=mariadb} (as the compatibility builds do) runs one.
     */
    static Stream<Arguments> runs() {
        List<String> wanted = List.of(System.getProperty("chaos.databases", "mariadb,postgresql").split(","));
        return Stream.of(Arguments.of(TestDatabase.mariadb(), "classic"), Arguments.of(TestDatabase.postgresql(), "consumer"))
                .filter(run -> wanted.contains(((TestDatabase) run.get()[0]).name()));
    }

    @ParameterizedTest(name = "{0}, group protocol {1}")
    @MethodSource("runs")
    void everyEventTakesEffectExactlyOnceAndNothingIsLostUnderKillsRebalancesOutagesAndBrokerRestarts(
            TestDatabase database, String groupProtocol) {
        long seed = Long.getLong("chaos.seed", new SecureRandom().nextInt(1_000_000));

        ChaosSummary summary = ChaosRun.run(ChaosOptions.ci(seed).on(database).withGroupProtocol(groupProtocol), System.out);

        assertThat(summary.violations()).as("violations (seed %d, %s)", seed, database).isEmpty();
        assertThat(summary.records()).isPositive();
        assertThat(summary.sigkills() + summary.haltsAfterCommit() + summary.haltsBeforeCommit()).isPositive();
        assertThat(summary.rebalances()).isPositive();
        assertThat(summary.outages()).isPositive();
        assertThat(summary.brokerRestarts()).isPositive();
        assertThat(summary.unexpectedExits()).as("consumers that exited on their own").isZero();
    }
}
