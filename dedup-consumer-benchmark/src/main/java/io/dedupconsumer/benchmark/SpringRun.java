package io.dedupconsumer.benchmark;

import io.dedupconsumer.spring.EnableDeduplication;
import io.dedupconsumer.testkit.KafkaBroker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.MapPropertySource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.kafka.annotation.EnableKafka;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.EnableTransactionManagement;

/**
 * One run of a Spring scenario: a small Spring context of its own (no Boot, no scanning) with a spring-kafka
 * container of one consumer thread per partition, the scenario's listener from {@link SpringListeners}, the run's
 * pool and a {@code DataSourceTransactionManager}; {@code @EnableDeduplication} for the {@code @Deduplicated} ones.
 * The container keeps spring-kafka's defaults (ack mode {@code BATCH}: {@code commitSync} after each poll's records),
 * with {@code max.poll.records} as in {@link ConsumerRun}. The {@link PollProbe} in its consumers cuts the topic at
 * the run's prefix and times it; the clock starts when the first poll returns records (so the container's start-up
 * is not timed) and stops at the commit of the last partition's last record.
 */
final class SpringRun {

    private SpringRun() {
    }

    /**
     * Consumes the first {@code limitPerPartition} records of every partition of {@code workload} with the
     * scenario's listener.
     *
     * @throws IllegalStateException when the run exceeds {@code timeout}
     */
    static ConsumerRun.Timing run(KafkaBroker broker, Workload workload, long limitPerPartition, String group,
            Scenario scenario, ScenarioDatabase db, Duration timeout) throws InterruptedException {
        Map<TopicPartition, Long> ends = new HashMap<>();
        for (int p = 0; p < workload.partitionCount(); p++) {
            ends.put(new TopicPartition(workload.topic(), p),
                    Math.min(limitPerPartition, workload.partitions().get(p).amounts().length));
        }
        PollProbe.Run run = new PollProbe.Run(ends);
        try (AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext()) {
            context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("bench", Map.of(
                    "bench.topic", workload.topic(), "bench.group", group,
                    "bench.partitions", "0-" + (workload.partitionCount() - 1))));
            // The run's pool: its owner closes it, not the context (an empty destroy method turns inference off).
            context.registerBean(DataSource.class, db::dataSource, definition -> definition.setDestroyMethodName(""));
            context.registerBean(KafkaBroker.class, () -> broker);
            context.registerBean(PollProbe.Run.class, () -> run);
            context.registerBean("partitionCount", Integer.class, workload::partitionCount);
            context.register(Infrastructure.class);
            if (scenario.deduplicates()) {
                context.register(Deduplication.class);
            }
            context.registerBean(listener(scenario));
            context.refresh();
            if (!run.finished().await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(scenario.label() + " did not commit its " + ends.values()
                        + " records within " + timeout);
            }
        }
        return run.timing();
    }

    private static Class<?> listener(Scenario scenario) {
        return switch (scenario) {
            case SPRING_UNSAFE_RECORD -> SpringListeners.UnsafeRecord.class;
            case SPRING_DEDUP_RECORD -> SpringListeners.DedupRecord.class;
            case SPRING_UNSAFE_BATCH -> SpringListeners.UnsafeBatch.class;
            case SPRING_DEDUP_BATCH -> SpringListeners.DedupBatch.class;
            default -> throw new IllegalArgumentException(scenario + " is not a Spring scenario");
        };
    }

    /** What every Spring scenario has: Kafka, the transaction manager, a JdbcTemplate, the container factory. */
    @Configuration(proxyBeanMethods = false)
    @EnableKafka
    @EnableTransactionManagement(proxyTargetClass = true)
    static class Infrastructure {

        @Bean
        PlatformTransactionManager transactionManager(DataSource dataSource) {
            return new DataSourceTransactionManager(dataSource);
        }

        @Bean
        JdbcTemplate jdbcTemplate(DataSource dataSource) {
            return new JdbcTemplate(dataSource);
        }

        @Bean
        ConcurrentKafkaListenerContainerFactory<byte[], byte[]> kafkaListenerContainerFactory(KafkaBroker broker,
                PollProbe.Run run, Integer partitionCount) {
            Map<String, Object> properties = broker.consumerProps("unused"); // the listener's groupId wins
            properties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, ConsumerRun.MAX_POLL_RECORDS);
            properties.put(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, PollProbe.class.getName());
            properties.put(PollProbe.RUN, run);
            ConcurrentKafkaListenerContainerFactory<byte[], byte[]> factory = new ConcurrentKafkaListenerContainerFactory<>();
            factory.setConsumerFactory(new DefaultKafkaConsumerFactory<>(properties));
            factory.setConcurrency(partitionCount);
            return factory;
        }
    }

    /** What the {@code @Deduplicated} scenarios add: the library, a producer for dead letters, a meter registry. */
    @Configuration(proxyBeanMethods = false)
    @EnableDeduplication
    static class Deduplication {

        @Bean
        ProducerFactory<byte[], byte[]> producerFactory(KafkaBroker broker) {
            return new DefaultKafkaProducerFactory<>(broker.producerProps());
        }

        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }
}
