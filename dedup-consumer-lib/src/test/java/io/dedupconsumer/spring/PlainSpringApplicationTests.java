package io.dedupconsumer.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dedupconsumer.jdbc.DedupSchema;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.kafka.annotation.EnableKafka;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.transaction.PlatformTransactionManager;
import com.zaxxer.hikari.HikariDataSource;

/**
 * A plain Spring Framework application, no Spring Boot: {@code @EnableKafka} with {@code @EnableDeduplication} and
 * beans declared by hand, on a real broker and MariaDB. Duplicates are skipped, each effect happens once.
 */
class PlainSpringApplicationTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final KafkaBroker BROKER = KafkaBroker.shared();

    @Test
    void deduplicatedListenersWorkWithoutSpringBoot() throws Exception {
        String topic = BROKER.uniqueTopic("dedup-plain", 1);
        try (HikariDataSource database = TestDatabase.mariadb().create("plain_spring")) {
            DedupSchema.migrate(database);
            JdbcTemplate jdbc = new JdbcTemplate(database);
            jdbc.execute("CREATE TABLE effect (event_id VARCHAR(64) NOT NULL)");
            send(topic, "e1", "e1", "e2", "e1");
            try (AnnotationConfigApplicationContext application = new AnnotationConfigApplicationContext()) {
                application.registerBean(DataSource.class, () -> database);
                application.registerBean("topic", String.class, () -> topic);
                application.register(Application.class);
                application.refresh();
                await().atMost(TIMEOUT).until(() -> BROKER.committedOffsets("plain-" + topic, topic).values().stream()
                        .anyMatch(offset -> offset == 4));
                assertThat(jdbc.queryForList("SELECT event_id FROM effect ORDER BY event_id", String.class))
                        .containsExactly("e1", "e2");
                assertThat(application.getBean(EffectWriter.class).calls()).isEqualTo(2);
            }
        }
    }

    private static void send(String topic, String... ids) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(BROKER.producerProps())) {
            for (String id : ids) {
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, 0, null, id.getBytes(StandardCharsets.UTF_8));
                record.headers().add("event-id", id.getBytes(StandardCharsets.UTF_8));
                producer.send(record).get();
            }
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableKafka
    @EnableDeduplication
    static class Application {

        @Bean
        PlatformTransactionManager transactionManager(DataSource dataSource) {
            return new DataSourceTransactionManager(dataSource);
        }

        @Bean
        ConsumerFactory<String, String> consumerFactory(String topic) {
            Map<String, Object> properties = BROKER.consumerProps("plain-" + topic);
            properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            return new DefaultKafkaConsumerFactory<>(properties);
        }

        @Bean
        ProducerFactory<byte[], byte[]> producerFactory() {
            return new DefaultKafkaProducerFactory<>(BROKER.producerProps());
        }

        @Bean
        ConcurrentKafkaListenerContainerFactory<String, String> kafkaListenerContainerFactory(
                ConsumerFactory<String, String> consumerFactory) {
            ConcurrentKafkaListenerContainerFactory<String, String> factory = new ConcurrentKafkaListenerContainerFactory<>();
            factory.setConsumerFactory(consumerFactory);
            return factory;
        }

        @Bean
        EffectWriter effectWriter(DataSource dataSource) {
            return new EffectWriter(new JdbcTemplate(dataSource));
        }
    }

    /** Writes one effect row per event, through its own JdbcTemplate: it joins the dedup transaction. */
    static class EffectWriter {
        private final JdbcTemplate jdbc;
        private final AtomicInteger calls = new AtomicInteger();

        EffectWriter(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Deduplicated(header = "event-id")
        @KafkaListener(topics = "#{topic}")
        public void on(String id) {
            calls.incrementAndGet();
            jdbc.update("INSERT INTO effect (event_id) VALUES (?)", id);
        }

        /** How often the body ran (read through the proxy, which has no state of its own). */
        public int calls() {
            return calls.get();
        }
    }
}
