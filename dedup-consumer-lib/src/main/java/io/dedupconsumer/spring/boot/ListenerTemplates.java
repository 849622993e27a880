package io.dedupconsumer.spring.boot;

import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.spring.DedupTemplate;
import io.dedupconsumer.spring.SpringTransactionRunner;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds the {@link DedupTemplate}s of the application from the shared settings (one per consumer name and key), and
 * remembers which topics deduplicated listeners read.
 */
final class ListenerTemplates {

    private final DedupProperties properties;
    private final SpringTransactionRunner transactions;
    private final MeterRegistry meterRegistry;
    private final Set<String> topics = ConcurrentHashMap.newKeySet();

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

    /** Records the topics a deduplicated listener reads, for the start-up retention check. */
    void listensTo(Collection<String> listened) {
        topics.addAll(listened);
    }

    Set<String> topics() {
        return Set.copyOf(topics);
    }

    DedupKey defaultKey() {
        return properties.defaultKey();
    }

    boolean oneTransactionPerBatch() {
        return properties.getBatch().isOneTransaction();
    }
}
