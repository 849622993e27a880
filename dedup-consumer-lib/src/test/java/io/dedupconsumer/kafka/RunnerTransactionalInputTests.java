package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.testkit.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Records written by transactional producers, on the real broker and MariaDB: the runner reads committed records only
 * (Kafka's default isolation is {@code read_uncommitted}), so the records of an aborted transaction are never applied.
 */
class RunnerTransactionalInputTests {

    @ParameterizedTest
    @EnumSource(ProcessingMode.class)
    void recordsOfAnAbortedKafkaTransactionAreNeverApplied(ProcessingMode mode) {
        try (RunnerFixture fixture = RunnerFixture.create("aborted-tx", TestDatabase.mariadb(), 1)) {
            Map<String, Object> props = fixture.broker.producerProps();
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-" + UUID.randomUUID());
            try (KafkaProducer<byte[], byte[]> transactional = new KafkaProducer<>(props)) {
                transactional.initTransactions();
                transactional.beginTransaction();
                transactional.send(new ProducerRecord<>(fixture.topic, 0, bytes("aborted-1"), bytes("v")));
                transactional.send(new ProducerRecord<>(fixture.topic, 0, bytes("aborted-2"), bytes("v")));
                transactional.flush();
                transactional.abortTransaction();
                transactional.beginTransaction();
                transactional.send(new ProducerRecord<>(fixture.topic, 0, bytes("committed-1"), bytes("v")));
                transactional.commitTransaction();
            }
            fixture.send(0, "plain-1", "v");
            fixture.start(fixture.runner(mode).build());

            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey()).isEqualTo(Map.of("committed-1", 1, "plain-1", 1));
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
