package io.dedupconsumer.spring.boot.jpa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import com.zaxxer.hikari.HikariDataSource;

/**
 * A listener writing through Spring Data JPA under Boot's {@code JpaTransactionManager}, on a real broker and MariaDB:
 * the JPA write commits in the claim's transaction, a failure after a flushed save rolls both back, and the
 * redelivery applies the event once.
 */
class JpaHandlersTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final KafkaBroker broker = KafkaBroker.shared();

    @Test
    void aJpaWriteCommitsWithTheClaimAndAFailureAfterAFlushedSaveRollsBothBack() throws Exception {
        String topic = broker.uniqueTopic("dedup-jpa", 1);
        String group = "group-" + topic;
        TestDatabase mariadb = TestDatabase.mariadb();
        String schema = mariadb.createDatabase("spring_jpa");
        send(topic, "e1", "{\"id\":\"e1\",\"amount\":5,\"failAfterSave\":true}", "e1", "{\"id\":\"e1\",\"amount\":5,\"failAfterSave\":true}",
                "e2", "{\"id\":\"e2\",\"amount\":7}");
        try (HikariDataSource database = mariadb.dataSource(schema);
                ConfigurableApplicationContext application = new SpringApplicationBuilder(JpaListenerApplication.class)
                        .web(WebApplicationType.NONE)
                        .properties(Map.of(
                                "spring.datasource.url", mariadb.jdbcUrl(schema),
                                "spring.datasource.username", mariadb.user(),
                                "spring.datasource.password", mariadb.password(),
                                "spring.jpa.hibernate.ddl-auto", "create",
                                "spring.flyway.enabled", "false",
                                "spring.kafka.bootstrap-servers", broker.bootstrapServers(),
                                "spring.kafka.consumer.auto-offset-reset", "earliest",
                                "spring.kafka.consumer.value-deserializer", "org.springframework.kafka.support.serializer.ErrorHandlingDeserializer",
                                "test.topic", topic, "test.group", group))
                        .properties(jsonValues())
                        .run()) {
            assertThat(application.getBean(PlatformTransactionManager.class)).isInstanceOf(JpaTransactionManager.class);
            JdbcTemplate jdbc = new JdbcTemplate(database);
            await().atMost(TIMEOUT).until(() -> broker.committedOffsets(group, topic).values().stream()
                    .anyMatch(offset -> offset == 3));
            assertThat(jdbc.queryForList("SELECT event_id FROM jpa_ledger ORDER BY event_id", String.class))
                    .containsExactly("e1", "e2");
            assertThat(jdbc.queryForList("SELECT outcome FROM dedup_record WHERE consumer_name = ? ORDER BY dedup_key",
                    String.class, group)).containsExactly("PROCESSED", "PROCESSED");
        }
    }

    private static Map<String, Object> jsonValues() {
        String deserializer = org.springframework.util.ClassUtils.isPresent(
                "org.springframework.kafka.support.serializer.JacksonJsonDeserializer", JpaHandlersTests.class.getClassLoader())
                ? "org.springframework.kafka.support.serializer.JacksonJsonDeserializer"
                : "org.springframework.kafka.support.serializer.JsonDeserializer";
        return Map.of("spring.kafka.consumer.properties.spring.deserializer.value.delegate.class", deserializer,
                "spring.kafka.consumer.properties.spring.json.value.default.type", "java.util.LinkedHashMap",
                "spring.kafka.consumer.properties.spring.json.use.type.headers", "false",
                "dedup.retry.initial-interval", "50ms", "dedup.retry.max-interval", "100ms");
    }

    private void send(String topic, String... idsAndValues) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(broker.producerProps())) {
            List<Future<?>> sent = new ArrayList<>();
            for (int i = 0; i < idsAndValues.length; i += 2) {
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, 0, null,
                        idsAndValues[i + 1].getBytes(StandardCharsets.UTF_8));
                record.headers().add("event-id", idsAndValues[i].getBytes(StandardCharsets.UTF_8));
                sent.add(producer.send(record));
            }
            for (Future<?> future : sent) {
                future.get();
            }
        }
    }
}
