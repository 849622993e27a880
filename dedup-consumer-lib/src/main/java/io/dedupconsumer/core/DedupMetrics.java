package io.dedupconsumer.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The protocol's meters, registered once per {@link Deduplicator} so the hot path only increments. */
final class DedupMetrics {

    private final Map<Outcome, Counter> records = new EnumMap<>(Outcome.class);
    private final Counter handlerFailures;
    private final Counter databaseUnavailable;
    private final Counter transientRetries;
    private final Counter guardHits;
    private final Timer recordTransactions;
    private final Timer batchTransactions;
    private final Timer handler;

    DedupMetrics(MeterRegistry registry, String consumer) {
        for (Outcome outcome : Outcome.values()) {
            records.put(outcome, Counter.builder("dedup.records")
                    .description("Records by outcome")
                    .tag("consumer", consumer).tag("outcome", outcome.name())
                    .register(registry));
        }
        handlerFailures = Counter.builder("dedup.failures").description("Record transactions that failed and rolled back")
                .tag("consumer", consumer).tag("kind", "record").register(registry);
        databaseUnavailable = Counter.builder("dedup.failures").description("Record transactions that failed and rolled back")
                .tag("consumer", consumer).tag("kind", "database-unavailable").register(registry);
        transientRetries = Counter.builder("dedup.transient.retries")
                .description("Transactions run again after a deadlock, serialization failure or lock wait timeout")
                .tag("consumer", consumer).register(registry);
        guardHits = Counter.builder("dedup.guard.hits")
                .description("Duplicates recognised by the DedupGuard without a database round trip")
                .tag("consumer", consumer).register(registry);
        recordTransactions = Timer.builder("dedup.transaction").description("Claim, handler and commit, in one transaction")
                .tag("consumer", consumer).tag("mode", "record").register(registry);
        batchTransactions = Timer.builder("dedup.transaction").description("Claim, handler and commit, in one transaction")
                .tag("consumer", consumer).tag("mode", "batch").register(registry);
        handler = Timer.builder("dedup.handler").description("The user's handler, inside the transaction")
                .tag("consumer", consumer).register(registry);
    }

    void outcome(Outcome outcome) {
        records.get(outcome).increment();
    }

    void failure(RuntimeException failure) {
        (failure instanceof DatabaseUnavailableException ? databaseUnavailable : handlerFailures).increment();
    }

    void transientRetry() {
        transientRetries.increment();
    }

    void guardHit() {
        guardHits.increment();
    }

    void transaction(boolean batch, long nanos) {
        (batch ? batchTransactions : recordTransactions).record(nanos, TimeUnit.NANOSECONDS);
    }

    void handler(long nanos) {
        handler.record(nanos, TimeUnit.NANOSECONDS);
    }
}
