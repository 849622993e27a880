package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.testkit.TestDatabase;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A misconfigured share runner fails at build time with a message that names the setting. No broker needed. */
class DedupShareConsumerRunnerBuilderTests {

    private static HikariDataSource dataSource;
    private static Deduplicator deduplicator;

    @BeforeAll
    static void deduplicator() {
        dataSource = TestDatabase.h2().create("share-builder");
        deduplicator = Deduplicator.builder().consumerName("orders").dedupKey(DedupKey.recordKey())
                .dataSource(dataSource).build();
    }

    @AfterAll
    static void close() {
        dataSource.close();
    }

    private static DedupShareConsumerRunner.Builder<String, String> valid() {
        return DedupShareConsumerRunner.builder(new StringDeserializer(), new StringDeserializer())
                .consumerProperty("bootstrap.servers", "127.0.0.1:1")
                .consumerProperty("group.id", "orders")
                .topics("orders")
                .deduplicator(deduplicator)
                .handler(RunnerFixture.EFFECT);
    }

    @Test
    void implicitAcknowledgementIsRefusedBecauseItWouldAcknowledgeBeforeTheDatabaseCommit() {
        assertThatThrownBy(() -> valid().consumerProperty("share.acknowledgement.mode", "implicit"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("consumerProperties").hasMessageContaining("only after its database transaction");
    }

    @Test
    void aDeserializerInTheConsumerPropertiesIsRefusedBecauseTheRunnerDeserializesEachRecord() {
        assertThatThrownBy(() -> valid().consumerProperty("value.deserializer", StringDeserializer.class.getName()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("DedupShareConsumerRunner.builder(keyDeserializer, valueDeserializer)");
    }

    @Test
    void aMissingShareGroupIsNamedAtBuild() {
        assertThatThrownBy(() -> DedupShareConsumerRunner.builder(new StringDeserializer(), new StringDeserializer())
                .consumerProperty("bootstrap.servers", "127.0.0.1:1").topics("orders").deduplicator(deduplicator)
                .handler(RunnerFixture.EFFECT).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("group.id");
    }

    @Test
    void aZeroMaxAttemptsIsRefused() {
        assertThatThrownBy(() -> valid().maxAttempts(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxAttempts");
    }
}
