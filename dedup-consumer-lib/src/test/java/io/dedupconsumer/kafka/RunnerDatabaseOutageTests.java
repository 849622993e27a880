package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.testkit.TcpProxy;
import io.dedupconsumer.testkit.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The database becomes unreachable in the middle of a run, inside a transaction (a proxy between the consumer's pool
 * and MariaDB resets every connection): no offset is ever committed past the last database commit, the runner waits without
 * dead-lettering, and when the database returns everything is applied exactly once.
 */
class RunnerDatabaseOutageTests {

    private static final int PER_PARTITION = 10;

    @ParameterizedTest
    @EnumSource(ProcessingMode.class)
    void databaseOutageCommitsNothingPastTheLastDatabaseCommitAndResumesWithoutLossOrDoubles(ProcessingMode mode) {
        TestDatabase mariadb = TestDatabase.mariadb();
        try (RunnerFixture fixture = RunnerFixture.create("outage", mariadb, 2);
                TcpProxy proxy = TcpProxy.start(mariadb.host(), mariadb.port());
                HikariDataSource throughProxy = mariadb.dataSource(fixture.databaseName, proxy.port())) {
            // At every offset commit, read the database directly (not through the proxy): every record below the
            // committed offset must have its claim there.
            List<String> violations = new CopyOnWriteArrayList<>();
            RunnerListener invariant = new RunnerListener() {
                @Override
                public void afterOffsetCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
                    offsets.forEach((partition, offset) -> {
                        long claimed = fixture.count("SELECT COUNT(*) FROM dedup_record WHERE source_partition = "
                                + partition.partition() + " AND source_offset < " + offset.offset());
                        if (claimed != offset.offset()) {
                            violations.add(partition + " committed " + offset.offset() + " with " + claimed + " claims");
                        }
                    });
                }
            };
            // The database goes away in the middle of a transaction: the handler cuts it before writing its effect.
            AtomicBoolean cut = new AtomicBoolean();
            RecordHandler<String, String> handler = (record, connection) -> {
                if (record.key().equals("during-p0-4") && cut.compareAndSet(false, true)) {
                    proxy.cut();
                }
                return RunnerFixture.EFFECT.handle(record, connection);
            };
            fixture.start(fixture.runner(mode, throughProxy).handler(handler).listener(fixture.recorderAnd(invariant))
                    .retryBackoff(Duration.ofMillis(500), 1.0, Duration.ofMillis(500)).build());
            sendWave(fixture, "before");
            fixture.awaitAllCommitted();

            sendWave(fixture, "during");
            await().atMost(RunnerFixture.WAIT)
                    .until(() -> fixture.counter("dedup.retries", "kind", "database-unavailable") >= 2);

            Map<TopicPartition, Long> committedDuringOutage = fixture.brokerCommitted();
            committedDuringOutage.forEach((partition, offset) -> assertThat(fixture.count(
                    "SELECT COUNT(*) FROM dedup_record WHERE source_partition = " + partition.partition()))
                    .as("claims of %s while %s is committed", partition, offset).isGreaterThanOrEqualTo(offset));
            assertThat(fixture.effects()).isEqualTo(fixture.dedupRows());
            // Between probes of the database every partition is paused (not only those that had records).
            await().atMost(RunnerFixture.WAIT).until(() -> fixture.gauge("dedup.runner.paused.partitions") == 2);

            proxy.restore();
            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey()).hasSize(4 * PER_PARTITION)
                    .allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
            assertThat(fixture.dedupRows()).isEqualTo(4 * PER_PARTITION);
            assertThat(violations).isEmpty();
            assertThat(fixture.deadLetters(0)).isEmpty();
            assertThat(fixture.brokerCommitted()).isEqualTo(fixture.endOffsets());
        }
    }

    private static void sendWave(RunnerFixture fixture, String wave) {
        for (int i = 0; i < PER_PARTITION; i++) {
            fixture.send(0, wave + "-p0-" + i, "v");
            fixture.send(1, wave + "-p1-" + i, "v");
        }
    }
}
