package io.dedupconsumer.kafka;

import static io.dedupconsumer.kafka.RunnerFixture.longHeader;
import static io.dedupconsumer.kafka.RunnerFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.core.BatchHandler;
import io.dedupconsumer.core.BatchedStatements;
import io.dedupconsumer.core.StatementHandler;
import io.dedupconsumer.testkit.TestDatabase;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The runner with a {@link BatchHandler}: the handler gets a poll's new records at once and sends their effects as one
 * JDBC batch; a record it keeps failing on is the only one retried and dead-lettered, its neighbours applied once.
 */
class RunnerBatchHandlerTests {

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void aPollsNewRecordsReachTheHandlerAtOnceAndOnlyTheFailingOneIsDeadLettered(TestDatabase database) {
        try (RunnerFixture fixture = RunnerFixture.create("batch-handler", database, 1)) {
            List<Integer> callSizes = Collections.synchronizedList(new ArrayList<>());
            BatchHandler<String, String> jdbcBatch = (records, connection) -> {
                callSizes.add(records.size());
                if (records.stream().anyMatch(r -> r.key().equals("e-7"))) {
                    throw new IllegalStateException("e-7 cannot be applied");
                }
                try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO effect (dedup_key, payload, source_partition, source_offset) VALUES (?, ?, ?, ?)")) {
                    for (ConsumerRecord<String, String> record : records) {
                        insert.setString(1, record.key());
                        insert.setString(2, record.value());
                        insert.setInt(3, record.partition());
                        insert.setLong(4, record.offset());
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
                return null;
            };
            Map<String, Integer> expected = new HashMap<>();
            for (int i = 0; i < 20; i++) {
                fixture.send(0, "e-" + i, "v" + i);
                if (i != 7) {
                    expected.put("e-" + i, 1);
                }
                if (i % 4 == 0) {
                    fixture.send(0, "e-" + i, "v" + i); // a re-send: a DUPLICATE, never given to the handler
                }
            }
            fixture.start(fixture.runner(jdbcBatch).maxAttempts(2).build());

            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey()).isEqualTo(expected);
            List<ConsumerRecord<byte[], byte[]>> deadLetters = fixture.deadLetters(1);
            assertThat(deadLetters).extracting(r -> new String(r.key())).containsExactly("e-7");
            assertThat(text(deadLetters.get(0), DeadLetterHeaders.REASON)).contains("e-7 cannot be applied");
            assertThat(longHeader(deadLetters.get(0), DeadLetterHeaders.ORIGINAL_OFFSET))
                    .as("e-7 is the 9th record: e-0, its re-send, e-1 .. e-3, e-4, its re-send, e-5, e-6").isEqualTo(9L);
            assertThat(callSizes).as("the handler received batches, not one record at a time").anyMatch(n -> n > 1);
            assertThat(fixture.brokerCommitted()).isEqualTo(Map.of(new TopicPartition(fixture.topic, 0), 25L));
        }
    }
    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void aPerRecordStatementHandlerRunsBatchedAndOnlyItsFailingRecordIsDeadLettered(TestDatabase database) {
        try (RunnerFixture fixture = RunnerFixture.create("batched-statements", database, 1)) {
            StatementHandler<String, String> insertEffect = (record, statements) -> {
                if (record.value().equals("poison")) {
                    throw new IllegalArgumentException(record.key() + " cannot be applied");
                }
                statements.update("INSERT INTO effect (dedup_key, payload, source_partition, source_offset) "
                        + "VALUES (?, ?, ?, ?)", record.key(), record.value(), record.partition(), record.offset());
            };
            Map<String, Integer> expected = new HashMap<>();
            for (int i = 0; i < 30; i++) {
                fixture.send(0, "e-" + i, i == 12 ? "poison" : "v" + i);
                if (i != 12) {
                    expected.put("e-" + i, 1);
                }
                if (i % 5 == 0) {
                    fixture.send(0, "e-" + i, "v" + i); // a re-send: a DUPLICATE, never run again
                }
            }
            fixture.start(fixture.runner(BatchedStatements.of(insertEffect)).maxAttempts(2).build());

            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey()).isEqualTo(expected);
            List<ConsumerRecord<byte[], byte[]>> deadLetters = fixture.deadLetters(1);
            assertThat(deadLetters).extracting(r -> new String(r.key())).containsExactly("e-12");
            assertThat(text(deadLetters.get(0), DeadLetterHeaders.REASON)).contains("e-12 cannot be applied");
            assertThat(fixture.brokerCommitted()).isEqualTo(Map.of(new TopicPartition(fixture.topic, 0), 36L));
        }
    }
}
