package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dedupconsumer.testkit.TestDatabase;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A database that refuses the consumer's work whatever the record is the consumer's problem, not the records': the
 * runner waits for it like for an outage, dead-letters nothing and commits nothing past the last database commit; and
 * it refuses to start on a database it can tell is unusable.
 */
class RunnerDatabaseRefusalTests {

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.kafka.RunnerFixture#databasesAndModes")
    void aMissingTableNeverDeadLettersRecords(TestDatabase database, ProcessingMode mode) {
        try (RunnerFixture fixture = RunnerFixture.create("missing-table", database, 1)) {
            fixture.start(fixture.runner(mode).maxAttempts(2)
                    .retryBackoff(Duration.ofMillis(50), 2.0, Duration.ofMillis(200)).build());
            fixture.send(0, "before", "v");
            fixture.awaitAllCommitted();

            // The table goes away under the running consumer (a migration gone wrong, a misnamed table after a deploy).
            rename(fixture, "dedup_record", "dedup_record_away");
            fixture.send(0, "during-1", "v");
            fixture.send(0, "during-2", "v");
            await().atMost(RunnerFixture.WAIT)
                    .until(() -> fixture.counter("dedup.retries", "kind", "database-unavailable") >= 4);

            assertThat(fixture.brokerCommitted()).isEqualTo(Map.of(new TopicPartition(fixture.topic, 0), 1L));
            assertThat(fixture.counter("dedup.dead.letters", "reason", "FAILED")).isZero();

            rename(fixture, "dedup_record_away", "dedup_record");
            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey()).isEqualTo(Map.of("before", 1, "during-1", 1, "during-2", 1));
            assertThat(fixture.deadLetters(0)).isEmpty();
            assertThat(fixture.brokerCommitted()).isEqualTo(fixture.endOffsets());
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.kafka.RunnerFixture#databasesAndModes")
    void aRunnerRefusesToStartWhenTheDedupTableIsMissing(TestDatabase database, ProcessingMode mode) {
        try (RunnerFixture fixture = RunnerFixture.create("no-table", database, 1)) {
            RunnerFixture.execute(fixture.dataSource, "DROP TABLE dedup_record");
            fixture.send(0, "k1", "v");

            CompletableFuture<Void> run = fixture.start(fixture.runner(mode).build());

            assertThat(run).failsWithin(RunnerFixture.WAIT.toSeconds(), TimeUnit.SECONDS)
                    .withThrowableOfType(ExecutionException.class).havingCause()
                    .isInstanceOf(IllegalStateException.class).withMessageContaining("cannot start")
                    .withMessageContaining("does not exist");
            assertThat(fixture.brokerCommitted()).isEmpty();
            assertThat(fixture.deadLetters(0)).isEmpty();
        }
    }

    private static void rename(RunnerFixture fixture, String from, String to) {
        RunnerFixture.execute(fixture.dataSource, fixture.database == TestDatabase.mariadb()
                ? "RENAME TABLE " + from + " TO " + to : "ALTER TABLE " + from + " RENAME TO " + to);
    }
}
