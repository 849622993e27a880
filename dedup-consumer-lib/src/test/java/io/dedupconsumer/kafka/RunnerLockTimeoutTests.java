package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A row another transaction keeps locked (a real second connection holding it) must not hold the consumer past
 * {@code max.poll.interval.ms}: the record's transaction times out within the transaction timeout the runner derives
 * from the poll interval, the record is retried without end and never dead-lettered, and the other partitions go on.
 */
class RunnerLockTimeoutTests {

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.kafka.RunnerFixture#databasesAndModes")
    void aLockedRowTimesOutBelowThePollInterval(TestDatabase database, ProcessingMode mode) throws Exception {
        try (RunnerFixture fixture = RunnerFixture.create("locked-row", database, 2);
                Connection holder = fixture.dataSource.getConnection()) {
            RunnerFixture.execute(fixture.dataSource, "CREATE TABLE hot (id INT PRIMARY KEY, n INT NOT NULL)");
            RunnerFixture.execute(fixture.dataSource, "INSERT INTO hot VALUES (1, 0)");
            RecordHandler<String, String> handler = (record, connection) -> {
                if (record.key().startsWith("hot")) {
                    try (PreparedStatement update = connection.prepareStatement("UPDATE hot SET n = n + 1 WHERE id = 1")) {
                        update.executeUpdate();
                    }
                }
                RunnerFixture.insertEffect(connection, record);
                return HandlerResult.processed();
            };
            // A long transaction elsewhere holds the hot row.
            holder.setAutoCommit(false);
            try (Statement lock = holder.createStatement()) {
                lock.execute("SELECT n FROM hot WHERE id = 1 FOR UPDATE");
            }
            fixture.send(0, "hot-1", "v");
            fixture.send(0, "after-hot", "v");
            fixture.send(1, "cool-1", "v");
            fixture.send(1, "cool-2", "v");
            fixture.start(fixture.runner(mode).handler(handler).maxAttempts(2)
                    .consumerProperty(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 6_000) // transactions: 1.2 s
                    .retryBackoff(Duration.ofMillis(50), 2.0, Duration.ofMillis(200)).build());

            // The other partition goes on, and the locked record times out again and again, more often than its attempts.
            await().atMost(RunnerFixture.WAIT).until(() -> fixture.committed.get(new TopicPartition(fixture.topic, 1)),
                    offset -> offset != null && offset == 2L);
            await().atMost(RunnerFixture.WAIT).until(() -> fixture.counter("dedup.retries", "kind", "timed-out") >= 3);
            assertThat(fixture.brokerCommitted()).doesNotContainKey(new TopicPartition(fixture.topic, 0));
            assertThat(fixture.counter("dedup.dead.letters", "reason", "FAILED")).isZero();

            holder.rollback();
            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey())
                    .isEqualTo(Map.of("hot-1", 1, "after-hot", 1, "cool-1", 1, "cool-2", 1));
            assertThat(fixture.count("SELECT n FROM hot WHERE id = 1")).isEqualTo(1);
            assertThat(fixture.deadLetters(0)).isEmpty();
            assertThat(fixture.brokerCommitted()).isEqualTo(fixture.endOffsets());
        }
    }
}
