package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.core.BatchHandler;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.testkit.TestDatabase;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A misconfigured runner fails at build time with a message that names the setting. No broker needed. */
class DedupConsumerRunnerBuilderTests {

    private static HikariDataSource dataSource;
    private static Deduplicator deduplicator;

    @BeforeAll
    static void deduplicator() {
        dataSource = TestDatabase.h2().create("builder");
        deduplicator = Deduplicator.builder().consumerName("orders").dedupKey(DedupKey.recordKey())
                .dataSource(dataSource).build();
    }

    @AfterAll
    static void close() {
        dataSource.close();
    }

    private static Map<String, Object> consumer() {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", "127.0.0.1:1");
        props.put("group.id", "orders");
        return props;
    }

    private static DedupConsumerRunner.Builder<String, String> valid() {
        return DedupConsumerRunner.builder(new StringDeserializer(), new StringDeserializer())
                .consumerProperties(consumer())
                .topics("orders")
                .deduplicator(deduplicator)
                .handler(RunnerFixture.EFFECT);
    }

    @Test
    void aTransactionTimeoutThatDoesNotFitThePollIntervalIsRefusedAtBuild() {
        Deduplicator slow = Deduplicator.builder().consumerName("orders").dedupKey(DedupKey.recordKey())
                .dataSource(dataSource).transactionTimeout(Duration.ofSeconds(20)).build();

        assertThatThrownBy(() -> valid().deduplicator(slow).consumerProperty("max.poll.interval.ms", 60_000).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("transactionTimeout")
                .hasMessageContaining("max.poll.interval.ms");
        assertThat(slow.forPollInterval(Duration.ofSeconds(61))).isSameAs(slow);
    }

    @Test
    void withoutAChosenTransactionTimeoutTheRunnerFitsItToThePollInterval() {
        assertThat(deduplicator.transactionTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(deduplicator.forPollInterval(Duration.ofSeconds(30)).transactionTimeout()).isEqualTo(Duration.ofSeconds(6));
        assertThat(deduplicator.forPollInterval(Duration.ofMillis(2_000)).transactionTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThatThrownBy(() -> Deduplicator.builder().transactionTimeout(Duration.ofMillis(500)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("transactionTimeout");
    }

    @Test
    void autoCommitIsRefusedWhetherGivenAsTextOrBoolean() {
        assertThatThrownBy(() -> valid().consumerProperty("enable.auto.commit", "true"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("enable.auto.commit");
        assertThatThrownBy(() -> valid().consumerProperties(Map.of("enable.auto.commit", Boolean.TRUE)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("enable.auto.commit");
        valid().consumerProperty("enable.auto.commit", false); // allowed: it is what the runner sets anyway
    }

    @Test
    void readUncommittedIsRefusedBecauseAbortedTransactionsWouldBeApplied() {
        assertThatThrownBy(() -> valid().consumerProperty("isolation.level", "read_uncommitted"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("isolation.level=read_uncommitted").hasMessageContaining("aborted");
    }

    @Test
    void deserializerPropertiesAreRefusedBecauseTheRunnerDeserializesPerRecord() {
        assertThatThrownBy(() -> valid().consumerProperty("value.deserializer", StringDeserializer.class.getName()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value.deserializer")
                .hasMessageContaining("DedupConsumerRunner.builder");
        valid().consumerProperty("key.deserializer", ByteArrayDeserializer.class); // harmless: the runner reads bytes
    }

    @Test
    void missingRequiredSettingsAreNamed() {
        assertThatThrownBy(() -> DedupConsumerRunner.builder(null, new StringDeserializer()))
                .hasMessageStartingWith("keyDeserializer:");
        assertThatThrownBy(() -> DedupConsumerRunner.builder(new StringDeserializer(), null))
                .hasMessageStartingWith("valueDeserializer:");
        assertThatThrownBy(() -> DedupConsumerRunner.builder(new StringDeserializer(), new StringDeserializer())
                .topics("orders").deduplicator(deduplicator).handler(RunnerFixture.EFFECT).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("bootstrap.servers");
        assertThatThrownBy(() -> DedupConsumerRunner.builder(new StringDeserializer(), new StringDeserializer())
                .consumerProperty("bootstrap.servers", "127.0.0.1:1")
                .topics("orders").deduplicator(deduplicator).handler(RunnerFixture.EFFECT).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("group.id");
        assertThatThrownBy(() -> DedupConsumerRunner.builder(new StringDeserializer(), new StringDeserializer())
                .consumerProperties(consumer()).deduplicator(deduplicator).handler(RunnerFixture.EFFECT).build())
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("topics:");
        assertThatThrownBy(() -> DedupConsumerRunner.builder(new StringDeserializer(), new StringDeserializer())
                .consumerProperties(consumer()).topics("orders").handler(RunnerFixture.EFFECT).build())
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("deduplicator:");
        assertThatThrownBy(() -> DedupConsumerRunner.builder(new StringDeserializer(), new StringDeserializer())
                .consumerProperties(consumer()).topics("orders").deduplicator(deduplicator).build())
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("handler:");
    }

    @Test
    void aBatchHandlerRunsPerPollAndExcludesARecordHandler() {
        BatchHandler<String, String> batch = (records, connection) -> null;
        DedupConsumerRunner.Builder<String, String> unhandled = DedupConsumerRunner
                .builder(new StringDeserializer(), new StringDeserializer())
                .consumerProperties(consumer()).topics("orders").deduplicator(deduplicator);

        assertThatThrownBy(() -> valid().batchHandler(batch).build()).isInstanceOf(IllegalStateException.class)
                .hasMessage("handler and batchHandler: set one of them, not both");
        assertThatThrownBy(() -> unhandled.batchHandler(batch).mode(ProcessingMode.RECORD).build())
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("batchHandler: ")
                .hasMessageContaining("needs mode BATCH");
        try (DedupConsumerRunner<String, String> runner = unhandled.batchHandler(batch).mode(ProcessingMode.BATCH).build()) {
            assertThat(runner).isNotNull();
        }
    }

    @Test
    void badValuesAreRefusedByTheirSetter() {
        assertThatThrownBy(() -> valid().topics("orders", " ")).hasMessageStartingWith("topics:");
        assertThatThrownBy(() -> valid().maxAttempts(0)).hasMessageStartingWith("maxAttempts:");
        assertThatThrownBy(() -> valid().retryBackoff(Duration.ZERO, 2, Duration.ofSeconds(1)))
                .hasMessageStartingWith("retryBackoff:");
        assertThatThrownBy(() -> valid().retryBackoff(Duration.ofSeconds(1), 0.5, Duration.ofSeconds(1)))
                .hasMessageStartingWith("retryBackoff:").hasMessageContaining("multiplier");
        assertThatThrownBy(() -> valid().retryBackoff(Duration.ofSeconds(2), 2, Duration.ofSeconds(1)))
                .hasMessageStartingWith("retryBackoff:").hasMessageContaining("max");
        assertThatThrownBy(() -> valid().pollTimeout(Duration.ZERO)).hasMessageStartingWith("pollTimeout:");
        assertThatThrownBy(() -> valid().shutdownTimeout(Duration.ofSeconds(-1))).hasMessageStartingWith("shutdownTimeout:");
        assertThatThrownBy(() -> valid().producerProperties(Map.of("acks", "all")))
                .hasMessageStartingWith("producerProperties:").hasMessageContaining("bootstrap.servers");
    }

    @Test
    void deadLetterProducerTakesTheConsumersClusterAndSecuritySettingsOnly() {
        Map<String, Object> consumer = consumer();
        consumer.put("security.protocol", "SASL_SSL");
        consumer.put("sasl.mechanism", "PLAIN");
        consumer.put("ssl.truststore.location", "/etc/kafka/truststore.jks");
        consumer.put("max.poll.records", 50);
        consumer.put("client.id", "orders-1");

        Map<String, Object> producer = DedupConsumerRunner.deadLetterProducerProperties(consumer, "orders-7");

        assertThat(producer).containsEntry("bootstrap.servers", "127.0.0.1:1")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.jks")
                .containsEntry("acks", "all").containsEntry("client.id", "orders-1-dead-letters")
                .doesNotContainKeys("group.id", "max.poll.records");
    }

    @Test
    void aRunnerClosedBeforeItRanClosesIdempotentlyAndRefusesToRun() {
        DedupConsumerRunner<String, String> runner = valid().build();
        runner.close();
        runner.close();
        assertThatThrownBy(runner::run).isInstanceOf(IllegalStateException.class).hasMessageContaining("build a new runner");
    }

    @Test
    void buildingNeverLogsSettingValues() {
        Logger logger = (Logger) LoggerFactory.getLogger(DedupConsumerRunner.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        DedupConsumerRunner<String, String> runner = valid().consumerProperty("ssl.key.password", "s3cr3t-value").build();
        try {
            runner.close();
            assertThat(appender.list).isNotEmpty().noneMatch(e -> e.getFormattedMessage().contains("s3cr3t-value"))
                    .anyMatch(e -> e.getFormattedMessage().contains("ssl.key.password"));
        } finally {
            logger.detachAppender(appender);
        }
    }
}
