package io.dedupconsumer.spring;

import io.dedupconsumer.core.DatabaseUnavailableException;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.Deduplicator;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the {@link DedupTemplate}s of an application from its shared {@link DedupListenerSettings}, one per consumer
 * name and key, all running their transactions through the application's transaction manager; and remembers which
 * topics the deduplicated listeners read (for the check of the dedup window against the topics' retention).
 *
 * <p>{@link EnableDeduplication @EnableDeduplication} registers one as a bean; its presence is how the application
 * tells that the deduplicating machinery is active. Thread-safe.
 */
public final class DedupTemplates {

    private static final Logger log = LoggerFactory.getLogger(DedupTemplates.class);

    private final DedupListenerSettings settings;
    private final SpringTransactionRunner transactions;
    private final @Nullable MeterRegistry meterRegistry;
    private final Set<String> topics = ConcurrentHashMap.newKeySet();

    /** @param meterRegistry the application's registry, or {@code null} for Micrometer's global one */
    DedupTemplates(DedupListenerSettings settings, SpringTransactionRunner transactions, @Nullable MeterRegistry meterRegistry) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.transactions = Objects.requireNonNull(transactions, "transactions");
        this.meterRegistry = meterRegistry;
    }

    /**
     * A template for a consumer name and a key, with the shared settings (table, conflict policy, meters).
     *
     * @throws IllegalArgumentException when the consumer name is not valid
     */
    public DedupTemplate create(String consumerName, DedupKey key) {
        return create(Deduplicator.builder().consumerName(consumerName).dedupKey(key));
    }

    /**
     * A template from a deduplicator the application configures itself (a fingerprint of its own, say), completed
     * with the shared table, transaction runner and meters, and run under the shared conflict policy.
     *
     * @param builder a builder with at least the consumer name and the key set
     * @throws IllegalStateException when the builder misses a required setting
     */
    public DedupTemplate create(Deduplicator.Builder builder) {
        builder.table(settings.table()).transactionRunner(transactions);
        if (meterRegistry != null) {
            builder.meterRegistry(meterRegistry);
        }
        return new DedupTemplate(builder.build(), settings.conflictPolicy());
    }

    /**
     * The template of a {@code @Deduplicated} listener: its transactions bounded below the container's poll interval
     * ({@link Deduplicator#forPollInterval}), and the database checked before any container starts
     * ({@link Deduplicator#checkDatabase()}).
     *
     * @throws IllegalStateException when the database refuses the dedup table's work (missing, misnamed, read-only,
     *     not permitted); a database that cannot be reached now is logged and waited for, like any outage
     */
    DedupTemplate createForListener(String listener, String consumerName, DedupKey key, Duration maxPollInterval) {
        Deduplicator deduplicator = create(consumerName, key).deduplicator().forPollInterval(maxPollInterval);
        try {
            deduplicator.checkDatabase();
        } catch (DatabaseUnavailableException e) {
            log.warn("{}: {}; starting all the same, the listener waits for the database like for any outage", listener,
                    e.getMessage());
        } catch (IllegalStateException e) {
            throw new IllegalStateException(listener + ": " + e.getMessage(), e);
        }
        return new DedupTemplate(deduplicator, settings.conflictPolicy());
    }

    /** The settings the templates share. */
    public DedupListenerSettings settings() {
        return settings;
    }

    /** The topics the deduplicated listeners read, as far as their containers have been prepared. */
    public Set<String> topics() {
        return Set.copyOf(topics);
    }

    void listensTo(Collection<String> listened) {
        topics.addAll(listened);
    }

    @Nullable MeterRegistry meterRegistry() {
        return meterRegistry;
    }

    SpringTransactionRunner transactions() {
        return transactions;
    }
}
