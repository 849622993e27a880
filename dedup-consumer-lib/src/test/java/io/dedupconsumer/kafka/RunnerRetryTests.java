package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.testkit.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A record whose handler fails for a while is retried with backoff: its partition is paused (the consumer keeps
 * polling and the other partitions flow), the pause lasts exactly the backoff on the runner's clock, and once the
 * handler succeeds everything is applied once and committed.
 */
class RunnerRetryTests {

    private static final Duration HOLD = Duration.ofMillis(400);

    @ParameterizedTest
    @EnumSource(ProcessingMode.class)
    void failingRecordIsRetriedWithBackoffWhileItsPartitionIsPausedAndTheOtherPartitionsFlow(ProcessingMode mode) {
        try (RunnerFixture fixture = RunnerFixture.create("retry", TestDatabase.postgresql(), 2)) {
            TestClock clock = new TestClock();
            Instant healthyFrom = clock.instant().plusSeconds(30);
            AtomicInteger failures = new AtomicInteger();
            RecordHandler<String, String> handler = (record, connection) -> {
                RunnerFixture.insertEffect(connection, record);
                if (record.key().equals("flaky") && clock.instant().isBefore(healthyFrom)) {
                    failures.incrementAndGet();
                    throw new IllegalStateException("payment provider not ready");
                }
                return HandlerResult.processed();
            };
            fixture.send(0, "flaky", "v");
            fixture.send(0, "p0-a", "v");
            fixture.send(0, "p0-b", "v");
            fixture.send(1, "p1-a", "v");
            fixture.send(1, "p1-b", "v");
            fixture.send(1, "p1-c", "v");
            TopicPartition p0 = new TopicPartition(fixture.topic, 0);
            TopicPartition p1 = new TopicPartition(fixture.topic, 1);
            fixture.start(fixture.runner(mode).handler(handler).clock(clock)
                    .retryBackoff(Duration.ofSeconds(10), 2.0, Duration.ofMinutes(1)).maxAttempts(5).build());

            // Attempt 1 at t=0 fails: partition 0 pauses for 10 s of the runner's clock, partition 1 is done.
            await().atMost(RunnerFixture.WAIT).until(() -> fixture.committed.get(p1) != null
                    && fixture.committed.get(p1) == 3 && retries(fixture) == 1);
            assertHeld(fixture, 1);
            assertThat(fixture.gauge("dedup.runner.paused.partitions")).isEqualTo(1);
            assertThat(fixture.committed).doesNotContainKey(p0);

            // t=10: attempt 2 fails, the pause doubles to 20 s.
            clock.advance(Duration.ofSeconds(10));
            await().atMost(RunnerFixture.WAIT).until(() -> retries(fixture) == 2);
            clock.advance(Duration.ofSeconds(10));
            assertHeld(fixture, 2);

            // t=30: attempt 3 succeeds.
            clock.advance(Duration.ofSeconds(10));
            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey()).hasSize(6).allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
            assertThat(retries(fixture)).isEqualTo(2);
            if (mode == ProcessingMode.RECORD) {
                assertThat(failures).hasValue(2);
            }
            assertThat(fixture.gauge("dedup.runner.paused.partitions")).isZero();
            assertThat(fixture.deadLetters(0)).isEmpty();
            assertThat(fixture.brokerCommitted()).isEqualTo(Map.of(p0, 3L, p1, 3L));
        }
    }

    /** While the clock stands still, the paused partition gets no further attempt and nothing of it is applied. */
    private static void assertHeld(RunnerFixture fixture, int attempts) {
        await().during(HOLD).atMost(HOLD.multipliedBy(3)).until(() -> retries(fixture) == attempts
                && fixture.count("SELECT COUNT(*) FROM effect WHERE source_partition = 0") == 0);
    }

    private static double retries(RunnerFixture fixture) {
        return fixture.counter("dedup.retries", "kind", "record");
    }
}
