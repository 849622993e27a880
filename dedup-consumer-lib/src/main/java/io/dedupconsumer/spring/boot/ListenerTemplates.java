package io.dedupconsumer.spring.boot;

import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.spring.DedupTemplate;
import io.dedupconsumer.spring.SpringTransactionRunner;
import io.micrometer.core.instrument.MeterRegistry;

/** Builds the {@link DedupTemplate}s of the application from the shared settings: one per consumer name and key. */
final class ListenerTemplates {

    private final DedupProperties properties;
    private final SpringTransactionRunner transactions;
    private final MeterRegistry meterRegistry;

    /** @param meterRegistry the application's registry, or {@code null} for Micrometer's global one */
    ListenerTemplates(DedupProperties properties, SpringTransactionRunner transactions, MeterRegistry meterRegistry) {
        this.properties = properties;
        this.transactions = transactions;
        this.meterRegistry = meterRegistry;
    }

    DedupTemplate template(String consumerName, DedupKey key) {
        Deduplicator.Builder builder = Deduplicator.builder()
                .consumerName(consumerName)
                .dedupKey(key)
                .table(properties.getTable())
                .transactionRunner(transactions);
        if (meterRegistry != null) {
            builder.meterRegistry(meterRegistry);
        }
        return new DedupTemplate(builder.build(), properties.getConflictPolicy());
    }

    DedupKey defaultKey() {
        return properties.defaultKey();
    }

    boolean oneTransactionPerBatch() {
        return properties.getBatch().isOneTransaction();
    }
}
