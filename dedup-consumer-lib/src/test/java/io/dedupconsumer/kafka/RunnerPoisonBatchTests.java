package io.dedupconsumer.kafka;

import static io.dedupconsumer.kafka.RunnerFixture.longHeader;
import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.testkit.TestDatabase;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * A batch's claim statement that the database refuses because of one record's value fails the whole statement; the
 * runner must still find that record, so that only it is retried and dead-lettered and its neighbours are applied.
 */
class RunnerPoisonBatchTests {

    @Test
    void aPoisonKeyInABatchDeadLettersOnlyItself() {
        try (RunnerFixture fixture = RunnerFixture.create("poison-batch", TestDatabase.postgresql(), 1)) {
            fixture.send(0, "ok-0", "v");
            fixture.send(0, "ok-1", "v");
            fixture.send(0, "bad\u0000key", "v"); // PostgreSQL refuses NUL in text: 22021, for the whole statement
            fixture.send(0, "ok-3", "v");
            fixture.start(fixture.runner(ProcessingMode.BATCH).maxAttempts(2).build());

            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey()).isEqualTo(Map.of("ok-0", 1, "ok-1", 1, "ok-3", 1));
            List<ConsumerRecord<byte[], byte[]>> deadLetters = fixture.deadLetters(1);
            assertThat(deadLetters).extracting(r -> longHeader(r, DeadLetterHeaders.ORIGINAL_OFFSET)).containsExactly(2L);
            assertThat(fixture.brokerCommitted()).isEqualTo(Map.of(new TopicPartition(fixture.topic, 0), 4L));
        }
    }
}
