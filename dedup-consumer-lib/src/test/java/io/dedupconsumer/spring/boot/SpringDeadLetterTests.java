package io.dedupconsumer.spring.boot;

import static io.dedupconsumer.spring.boot.EndToEnd.TIMEOUT;
import static io.dedupconsumer.spring.boot.EndToEnd.committed;
import static io.dedupconsumer.spring.boot.EndToEnd.event;
import static io.dedupconsumer.spring.boot.EndToEnd.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.kafka.DeadLetterHeaders;
import io.dedupconsumer.spring.DedupErrorHandling;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * What the Spring path dead-letters, and what it never does, on the real broker and MariaDB: the bytes the broker
 * delivered whatever the listener's value type, a record too large for the dead-letter producer without its value
 * instead of a partition stalled for good, a dead-letter cluster that is gone a bounded wait with nothing committed,
 * and records of aborted Kafka transactions never applied.
 */
class SpringDeadLetterTests {

    private final KafkaBroker broker = KafkaBroker.shared();
    private final String topic = broker.uniqueTopic("dedup-spring-dlt", 1);
    private final String group = "group-" + topic;
    private HikariDataSource database;
    private JdbcTemplate jdbc;

    @BeforeEach
    void freshDatabase() {
        database = EndToEnd.listenerDatabase("spring_dlt");
        jdbc = new JdbcTemplate(database);
    }

    @AfterEach
    void closeDatabase() {
        database.close();
    }

    private ApplicationContextRunner application(Class<?> listener) {
        String schema = jdbc.queryForObject("SELECT DATABASE()", String.class);
        return EndToEnd.application(broker, topic, group, listener, () -> TestDatabase.mariadb().dataSource(schema));
    }

    @Test
    void aTextListenersDeadLetterCarriesTheExactBytesThatWereNotUtf8() {
        byte[] garbage = {(byte) 0xC3, 0x28, 'f', 'a', 'i', 'l', (byte) 0xFF, (byte) 0xFE, 0, (byte) 0x80};
        send(broker, bytes("e1", garbage));
        application(TextListener.class).run(context -> {
            await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 1);
            ConsumerRecord<byte[], byte[]> deadLetter = broker.readAll(topic + "-dlt", 1, TIMEOUT).get(0);
            assertThat(deadLetter.value()).isEqualTo(garbage);
            assertThat(header(deadLetter, "event-id")).isEqualTo("e1");
            assertThat(header(deadLetter, DedupErrorHandling.OUTCOME_HEADER)).isEqualTo("FAILED");
            assertThat(effects()).isEmpty();
        });
    }

    @Test
    void aJsonListenersDeadLetterCarriesTheBytesAsSentNotTheValueReSerialized() {
        byte[] spaced = "{ \"id\" :   \"no-key\" ,\"x\":1.10 }".getBytes(StandardCharsets.UTF_8);
        send(broker, bytes(null, spaced), event(topic, "e2", "{\"id\":\"e2\",\"fail\":true}"));
        application(EffectListener.class).run(context -> {
            await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 2);
            List<ConsumerRecord<byte[], byte[]>> deadLetters = broker.readAll(topic + "-dlt", 2, TIMEOUT);
            assertThat(deadLetters.get(0).value()).isEqualTo(spaced);
            assertThat(header(deadLetters.get(0), DedupErrorHandling.OUTCOME_HEADER)).isEqualTo("INVALID");
            assertThat(deadLetters.get(1).value()).isEqualTo("{\"id\":\"e2\",\"fail\":true}".getBytes(StandardCharsets.UTF_8));
            assertThat(header(deadLetters.get(1), DedupErrorHandling.OUTCOME_HEADER)).isEqualTo("FAILED");
        });
    }

    @Test
    void aRecordTooLargeForTheDeadLetterProducerIsDeadLetteredWithoutItsValueInsteadOfStallingThePartition() {
        byte[] failing = ("fail" + "x".repeat(20_000)).getBytes(StandardCharsets.US_ASCII);
        send(broker, bytes("big", failing), bytes("small", "fine".getBytes(StandardCharsets.UTF_8)));
        application(TextListener.class)
                .withPropertyValues("spring.kafka.producer.properties.max.request.size=4096")
                .run(context -> {
                    await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset == 2);
                    ConsumerRecord<byte[], byte[]> deadLetter = broker.readAll(topic + "-dlt", 1, TIMEOUT).get(0);
                    assertThat(deadLetter.value()).isNull();
                    assertThat(header(deadLetter, "event-id")).isEqualTo("big");
                    assertThat(header(deadLetter, DeadLetterHeaders.VALUE_OMITTED))
                            .contains("20004 bytes").contains(topic + "-0@0");
                    assertThat(header(deadLetter, DedupErrorHandling.OUTCOME_HEADER)).isEqualTo("FAILED");
                    assertThat(effects()).containsExactly("fine");
                });
    }

    @Test
    void aDeadLetterClusterThatIsGoneIsABoundedWaitRetriedWithNothingCommitted() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        send(broker, event(topic, "e1", "{\"id\":\"e1\",\"fail\":true}"));
        application(EffectListener.class)
                .withBean(MeterRegistry.class, () -> meters)
                .withPropertyValues("spring.kafka.producer.bootstrap-servers=127.0.0.1:1",
                        "spring.kafka.consumer.properties.max.poll.interval.ms=10000")
                .run(context -> {
                    // each publication gives up after its 2-second step (a fifth of the poll interval), the record is
                    // tried again: three failed publications in well under the producer's default 2-minute timeout
                    await().atMost(TIMEOUT).until(() -> count(meters, "dedup.dead.letter.failures") >= 3);
                    assertThat(committed(broker, group, topic).call()).isEqualTo(-1L);
                    assertThat(effects()).isEmpty();
                });
    }

    @Test
    void recordsOfAnAbortedKafkaTransactionAreNeverAppliedEvenWhenTheFactorySaysReadUncommitted() throws Exception {
        Map<String, Object> props = broker.producerProps();
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-" + topic);
        try (KafkaProducer<byte[], byte[]> transactional = new KafkaProducer<>(props)) {
            transactional.initTransactions();
            transactional.beginTransaction();
            transactional.send(event(topic, "aborted", "{\"id\":\"aborted\"}"));
            transactional.flush();
            transactional.abortTransaction();
            transactional.beginTransaction();
            transactional.send(event(topic, "committed", "{\"id\":\"committed\"}"));
            transactional.commitTransaction();
        }
        application(EffectListener.class)
                .withPropertyValues("spring.kafka.consumer.isolation-level=read-uncommitted")
                .run(context -> {
            await().atMost(TIMEOUT).until(committed(broker, group, topic), offset -> offset >= 3);
            assertThat(effects()).containsExactly("committed");
        });
    }

    private ProducerRecord<byte[], byte[]> bytes(String eventId, byte[] value) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, 0, null, value);
        if (eventId != null) {
            record.headers().add("event-id", eventId.getBytes(StandardCharsets.UTF_8));
        }
        return record;
    }

    private static double count(MeterRegistry meters, String name) {
        return meters.find(name).counters().stream().mapToDouble(Counter::count).sum();
    }

    private List<String> effects() {
        return jdbc.queryForList("SELECT event_id FROM effect", String.class);
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
