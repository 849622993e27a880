package io.dedupconsumer.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.testkit.KafkaBroker;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the benchmark's smoke mode on the real broker and databases and checks only correctness: every scenario ran
 * on every database, and each left exactly the rows it must. Timings are never asserted; a shared CI machine makes
 * them meaningless.
 */
class BenchmarkSmokeTests {

    @Test
    void smokeRunCoversEveryScenarioAndEveryRunCountsRight() throws Exception {
        Settings settings = Settings.smoke();

        Report report = new Benchmark(KafkaBroker.shared(), settings).run();

        List<RunResult> results = report.results();
        for (Scenario scenario : Scenario.values()) {
            for (Database database : Database.values()) {
                if (scenario.usesDatabase() && !scenario.runsOn(database)) {
                    continue;
                }
                Database expected = scenario.usesDatabase() ? database : null;
                assertThat(results).as("%s on %s", scenario, expected)
                        .anySatisfy(r -> {
                            assertThat(r.scenario()).isEqualTo(scenario);
                            assertThat(r.database()).isEqualTo(expected);
                        });
            }
        }
        assertThat(results).allSatisfy(r -> {
            assertThat(r.check().ok()).as("%s", r).isTrue();
            assertThat(r.records()).as("%s", r).isPositive();
            assertThat(r.elapsedNanos()).as("%s", r).isPositive();
        });
        assertThat(results).filteredOn(r -> r.scenario().deduplicates()).allSatisfy(r -> {
            // The workload has 10% re-sends: exactly the distinct events leave a ledger row and a dedup row.
            assertThat(r.check().ledgerRows()).as("%s", r).isEqualTo(r.check().expectedLedgerRows())
                    .isLessThan(r.records());
            assertThat(r.check().dedupRows()).as("%s", r).isEqualTo(r.check().ledgerRows());
        });
        assertThat(results).filteredOn(r -> r.scenario().usesDatabase() && !r.scenario().deduplicates())
                .allSatisfy(r -> assertThat(r.check().ledgerRows()).as("unsafe applies re-sends twice: %s", r)
                        .isEqualTo(r.records()));
        assertThat(report.markdown()).as("every target has its row per database")
                .containsPattern("\\| mariadb \\| \\d+ \\| \\d+ \\| \\d+\\.\\d\\d× \\| \\d+\\.\\d\\d× \\| \\d+\\.\\d\\d× \\| \\d+\\.\\d\\d× \\| \\d+\\.\\d\\d× \\|")
                .containsPattern("\\| postgresql \\| \\d+ \\| \\d+ \\| \\d+\\.\\d\\d× \\| \\d+\\.\\d\\d× \\| \\d+\\.\\d\\d× \\| \\d+\\.\\d\\d× \\| \\d+\\.\\d\\d× \\|");
        assertThat(report.commitRates()).hasSize(settings.databases().size())
                .allSatisfy(rate -> assertThat(rate.transactionsPerSecond()).isPositive());
        assertThat(report.markdown()).contains(Scenario.DEDUP_BATCH.label(), Scenario.CONSUME_ONLY.label());
    }
}
