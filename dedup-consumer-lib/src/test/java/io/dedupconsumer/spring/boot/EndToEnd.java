package io.dedupconsumer.spring.boot;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.util.ClassUtils;

/** What the end-to-end tests share: the auto-configurations of a small application, its properties, a producer. */
final class EndToEnd {

    static final AutoConfigurations AUTO_CONFIGURATIONS = BootAutoConfigurations.withDedup("DataSourceAutoConfiguration",
            "DataSourceTransactionManagerAutoConfiguration", "TransactionAutoConfiguration",
            "JdbcTemplateAutoConfiguration", "KafkaAutoConfiguration");

    /** spring-kafka's JSON deserializer: Jackson 3's on spring-kafka 4, Jackson 2's on 3.3 (the Boot 3.5 build). */
    static final String JSON_DESERIALIZER = ClassUtils.isPresent(
            "org.springframework.kafka.support.serializer.JacksonJsonDeserializer", EndToEnd.class.getClassLoader())
            ? "org.springframework.kafka.support.serializer.JacksonJsonDeserializer"
            : "org.springframework.kafka.support.serializer.JsonDeserializer";

    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private EndToEnd() {
    }

    /** Properties of the application: JSON values (undeserializable ones reach the error handler), short retries. */
    static List<String> properties(KafkaBroker broker, String topic, String group) {
        return List.of("spring.kafka.bootstrap-servers=" + broker.bootstrapServers(),
                "spring.kafka.consumer.auto-offset-reset=earliest",
                "spring.kafka.consumer.key-deserializer=org.apache.kafka.common.serialization.StringDeserializer",
                "spring.kafka.consumer.value-deserializer=org.springframework.kafka.support.serializer.ErrorHandlingDeserializer",
                "spring.kafka.consumer.properties.spring.deserializer.value.delegate.class="
                        + JSON_DESERIALIZER,
                "spring.kafka.consumer.properties.spring.json.value.default.type=java.util.LinkedHashMap",
                "spring.kafka.consumer.properties.spring.json.use.type.headers=false",
                "spring.kafka.consumer.properties.spring.json.trusted.packages=*",
                "spring.kafka.consumer.max-poll-records=100",
                "dedup.retry.initial-interval=50ms", "dedup.retry.max-interval=100ms", "dedup.retry.max-attempts=2",
                "test.topic=" + topic, "test.group=" + group);
    }

    /** A fresh MariaDB schema with the tables the listeners write: {@code effect} and {@code audit}. */
    static HikariDataSource listenerDatabase(String prefix) {
        HikariDataSource database = TestDatabase.mariadb().create(prefix);
        JdbcTemplate jdbc = new JdbcTemplate(database);
        jdbc.execute("CREATE TABLE effect (event_id VARCHAR(64) NOT NULL)");
        jdbc.execute("CREATE TABLE audit (event_id VARCHAR(64) NOT NULL)");
        return database;
    }

    /** An application with {@code listener}, its {@code DataSource}, an {@link Auditor} and {@link #properties}. */
    static ApplicationContextRunner application(KafkaBroker broker, String topic, String group, Class<?> listener,
            Supplier<DataSource> dataSource) {
        return new ApplicationContextRunner()
                .withConfiguration(AUTO_CONFIGURATIONS)
                .withBean("dataSource", DataSource.class, dataSource)
                .withPropertyValues(properties(broker, topic, group).toArray(String[]::new))
                .withBean(Auditor.class)
                .withBean(listener);
    }

    /** A record for {@code send}: the event id travels in the {@code event-id} header, or nowhere when {@code null}. */
    static ProducerRecord<byte[], byte[]> event(String topic, String eventId, String json) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, 0, null, json.getBytes(StandardCharsets.UTF_8));
        if (eventId != null) {
            record.headers().add("event-id", eventId.getBytes(StandardCharsets.UTF_8));
        }
        return record;
    }

    @SafeVarargs
    static void send(KafkaBroker broker, ProducerRecord<byte[], byte[]>... records) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(broker.producerProps())) {
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
            for (ProducerRecord<byte[], byte[]> record : records) {
                sent.add(producer.send(record));
            }
            for (java.util.concurrent.Future<?> future : sent) {
                future.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot send test records", e);
        }
    }

    /** The offset a group committed on partition 0 of a topic, or -1. */
    static Callable<Long> committed(KafkaBroker broker, String group, String topic) {
        return () -> broker.committedOffsets(group, topic).entrySet().stream()
                .filter(e -> e.getKey().partition() == 0).map(Map.Entry::getValue).findFirst().orElse(-1L);
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The last value of a header as UTF-8 text, or {@code null}. */
    static String header(ConsumerRecord<?, ?> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : text(header.value());
    }
}
