package io.dedupconsumer.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.jdbc.DedupSchema;
import io.dedupconsumer.kafka.DeadLetter;
import io.dedupconsumer.kafka.DeadLetterHeaders;
import io.dedupconsumer.kafka.DedupConsumerRunner;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * One dead-letter contract ({@link DeadLetter}): the same poison records, consumed by the kafka-clients
 * {@link DedupConsumerRunner} and by a Spring {@code @Deduplicated} listener, come out as the same dead letters — the
 * same topic, the source partition (the second of two, so that "the producer's choice" would show), the same key and
 * value, and the same headers in the same order with the same values, the consumer group (each its own) aside.
 */
class DeadLetterContractTests {

    private final KafkaBroker broker = KafkaBroker.shared();
    private final String topic = broker.uniqueTopic("dedup-dlt-contract", 2);
    private final String deadLetterTopic = DeadLetter.topicOf(topic);
    private final String runnerGroup = "runner-" + topic;
    private final String springGroup = "spring-" + topic;
    private HikariDataSource runnerDatabase;
    private HikariDataSource springDatabase;

    @BeforeEach
    void topicsAndDatabases() {
        broker.createTopic(deadLetterTopic, 2);
        runnerDatabase = TestDatabase.mariadb().create("dlt_contract_runner");
        DedupSchema.migrate(runnerDatabase);
        springDatabase = EndToEnd.listenerDatabase("dlt_contract_spring");
    }

    @AfterEach
    void closeDatabases() {
        runnerDatabase.close();
        springDatabase.close();
    }

    @Test
    void aRecordWithoutADedupKeyAndAConflictingDuplicateAreDeadLetteredAlikeByTheRunnerAndTheSpringListener()
            throws Exception {
        EndToEnd.send(broker, event("e1", "{\"id\":\"e1\",\"amount\":10}"), event(null, "{\"id\":\"no-key\"}"),
                event("e1", "{\"id\":\"e1\",\"amount\":99}"));

        List<ConsumerRecord<byte[], byte[]>> byRunner = deadLettersOfTheRunner();
        List<ConsumerRecord<byte[], byte[]>> bySpring = deadLettersOfTheSpringListener();

        assertThat(byRunner).extracting(r -> text(r, DeadLetterHeaders.OUTCOME)).containsExactly("INVALID", "CONFLICT");
        assertThat(bySpring).extracting(r -> text(r, DeadLetterHeaders.OUTCOME)).containsExactly("INVALID", "CONFLICT");
        for (int i = 0; i < 2; i++) {
            ConsumerRecord<byte[], byte[]> runner = byRunner.get(i);
            ConsumerRecord<byte[], byte[]> spring = bySpring.get(i);
            assertThat(spring.topic()).isEqualTo(runner.topic()).isEqualTo(deadLetterTopic);
            assertThat(spring.partition()).isEqualTo(runner.partition()).isEqualTo(1);
            assertThat(spring.key()).isEqualTo(runner.key());
            assertThat(spring.value()).isEqualTo(runner.value());
            assertThat(headersButGroup(spring)).isEqualTo(headersButGroup(runner));
            assertThat(text(runner, DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP)).isEqualTo(runnerGroup);
            assertThat(text(spring, DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP)).isEqualTo(springGroup);
            assertThat(spring.headers().lastHeader(DeadLetterHeaders.EXCEPTION_FQCN)).isNull();
        }
        assertThat(text(bySpring.get(0), DeadLetterHeaders.REASON)).contains("no dedup key");
        assertThat(text(bySpring.get(1), DeadLetterHeaders.REASON)).contains("different payload");
        assertThat(text(bySpring.get(1), DeadLetterHeaders.DEDUP_KEY)).isEqualTo("e1");
        assertThat(text(bySpring.get(1), "event-id")).isEqualTo("e1");
    }

    private List<ConsumerRecord<byte[], byte[]>> deadLettersOfTheRunner() throws InterruptedException {
        Deduplicator deduplicator = Deduplicator.builder().consumerName(runnerGroup).dedupKey(DedupKey.header("event-id"))
                .dataSource(runnerDatabase).meterRegistry(new SimpleMeterRegistry()).build();
        DedupConsumerRunner<String, String> runner = DedupConsumerRunner.builder(new StringDeserializer(),
                        new StringDeserializer())
                .consumerProperties(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                        ConsumerConfig.GROUP_ID_CONFIG, runnerGroup, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"))
                .topics(topic)
                .deduplicator(deduplicator)
                .handler((record, connection) -> HandlerResult.processed())
                .pollTimeout(Duration.ofMillis(100))
                .meterRegistry(new SimpleMeterRegistry())
                .build();
        Thread thread = new Thread(runner, "runner-" + topic);
        thread.start();
        try {
            return deadLetters(2);
        } finally {
            runner.close();
            thread.join(Duration.ofSeconds(30).toMillis());
        }
    }

    private List<ConsumerRecord<byte[], byte[]>> deadLettersOfTheSpringListener() {
        String schema = new JdbcTemplate(springDatabase).queryForObject("SELECT DATABASE()", String.class);
        AtomicReference<List<ConsumerRecord<byte[], byte[]>>> all = new AtomicReference<>();
        EndToEnd.application(broker, topic, springGroup, EffectListener.class,
                () -> TestDatabase.mariadb().dataSource(schema)).run(context -> all.set(deadLetters(4)));
        return all.get().stream().filter(r -> springGroup.equals(text(r, DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP)))
                .toList();
    }

    /** The dead letters of the partition the poison records were sent to, once there are {@code expected}. */
    private List<ConsumerRecord<byte[], byte[]>> deadLetters(int expected) {
        List<ConsumerRecord<byte[], byte[]>> read = broker.readAll(deadLetterTopic, expected, EndToEnd.TIMEOUT);
        assertThat(read).hasSize(expected);
        return read;
    }

    private ProducerRecord<byte[], byte[]> event(String eventId, String json) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, 1, null, json.getBytes(StandardCharsets.UTF_8));
        if (eventId != null) {
            record.headers().add("event-id", eventId.getBytes(StandardCharsets.UTF_8));
        }
        return record;
    }

    /** Every header as {@code name=hex}, in order, but the consumer group's, which names each integration's group. */
    private static List<String> headersButGroup(ConsumerRecord<byte[], byte[]> record) {
        return StreamSupport.stream(record.headers().spliterator(), false)
                .filter(h -> !h.key().equals(DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP))
                .map(h -> h.key() + "=" + (h.value() == null ? "null" : HexFormat.of().formatHex(h.value())))
                .collect(Collectors.toList());
    }

    private static String text(ConsumerRecord<byte[], byte[]> record, String header) {
        var h = record.headers().lastHeader(header);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
