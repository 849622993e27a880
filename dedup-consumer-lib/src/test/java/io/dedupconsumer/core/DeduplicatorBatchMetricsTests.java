package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.Databases;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Regression: a batch whose record fails on its own after the batch rolled back counted its failure twice. */
class DeduplicatorBatchMetricsTests {

    @RegisterExtension
    final Databases databases = new Databases();

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<ConsumerRecord<String, String>> batch = List.of(
            new ConsumerRecord<>("orders", 0, 0L, "a", "1"),
            new ConsumerRecord<>("orders", 0, 1L, "b", "2"));

    private Deduplicator deduplicator() {
        return Deduplicator.builder().consumerName("orders").dedupKey(DedupKey.recordKey())
                .dataSource(databases.migrated(TestDatabase.h2(), "batch_metrics")).meterRegistry(registry).build();
    }

    @Test
    void everyRolledBackTransactionOfABatchCountsAsAFailure() {
        BatchResult result = deduplicator().processBatch(batch, (record, connection) -> {
            if (record.key().equals("b")) {
                throw new IllegalStateException("refused");
            }
            return HandlerResult.processed();
        });

        assertThat(result.failedIndex()).isEqualTo(1);
        assertThat(result.failure()).isInstanceOf(RecordProcessingException.class);
        // the batch transaction, then the record's own
        assertThat(registry.get("dedup.failures").tag("kind", "record").counter().count()).isEqualTo(2);
    }

    @Test
    void aBatchFailureIsCountedEvenWhenTheRecordThenSucceedsOnItsOwn() {
        AtomicInteger attemptsOfB = new AtomicInteger();

        BatchResult result = deduplicator().processBatch(batch, (record, connection) -> {
            if (record.key().equals("b") && attemptsOfB.incrementAndGet() == 1) {
                throw new IllegalStateException("refused once");
            }
            return HandlerResult.processed();
        });

        assertThat(result.complete()).isTrue();
        assertThat(registry.get("dedup.failures").tag("kind", "record").counter().count()).isEqualTo(1);
        assertThat(registry.get("dedup.records").tag("outcome", "PROCESSED").counter().count()).isEqualTo(2);
    }
}
