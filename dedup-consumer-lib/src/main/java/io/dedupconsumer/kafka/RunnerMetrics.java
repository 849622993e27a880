package io.dedupconsumer.kafka;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The runner's meters, tagged with the consumer name and a per-runner id (several runners of one consumer often
 * share a JVM, and each needs its own paused-partitions gauge).
 */
final class RunnerMetrics {

    private final MeterRegistry registry;
    private final Map<DeadLetterReason, Counter> deadLetters = new EnumMap<>(DeadLetterReason.class);
    private final Counter deadLetterFailures;
    private final Counter commits;
    private final Counter recordRetries;
    private final Counter databaseRetries;
    private final Counter timeoutRetries;
    private final Counter lockRenewals;
    private final @Nullable Gauge paused;

    /** @param pausedPartitions the paused-partitions gauge's source; {@code null} for a share consumer, which has none */
    RunnerMetrics(MeterRegistry registry, String consumer, String runner, @Nullable IntSupplier pausedPartitions) {
        this.registry = registry;
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            deadLetters.put(reason, Counter.builder("dedup.dead.letters")
                    .description("Records the dead-letter topic acknowledged, by reason")
                    .tag("consumer", consumer).tag("reason", reason.name()).register(registry));
        }
        deadLetterFailures = Counter.builder("dedup.dead.letter.failures")
                .description("Dead-letter sends that failed; the record's offset was not committed and it is retried")
                .tag("consumer", consumer).register(registry);
        commits = Counter.builder("dedup.runner.commits").description("Offset commits accepted by the consumer group")
                .tag("consumer", consumer).register(registry);
        recordRetries = Counter.builder("dedup.retries").description("Records put back for a later attempt")
                .tag("consumer", consumer).tag("kind", "record").register(registry);
        databaseRetries = Counter.builder("dedup.retries").description("Records put back for a later attempt")
                .tag("consumer", consumer).tag("kind", "database-unavailable").register(registry);
        timeoutRetries = Counter.builder("dedup.retries").description("Records put back for a later attempt")
                .tag("consumer", consumer).tag("kind", "timed-out").register(registry);
        lockRenewals = Counter.builder("dedup.share.lock.renewals")
                .description("Renewals of the acquisition locks a share consumer holds while a handler runs long")
                .tag("consumer", consumer).register(registry);
        paused = pausedPartitions == null ? null
                : Gauge.builder("dedup.runner.paused.partitions", pausedPartitions::getAsInt)
                        .description("Partitions paused while a record waits for its next attempt or the database returns")
                        .tag("consumer", consumer).tag("runner", runner).strongReference(true).register(registry);
    }

    void deadLettered(DeadLetterReason reason) {
        deadLetters.get(reason).increment();
    }

    void deadLetterFailed() {
        deadLetterFailures.increment();
    }

    void committed() {
        commits.increment();
    }

    void recordRetry() {
        recordRetries.increment();
    }

    void databaseRetry() {
        databaseRetries.increment();
    }

    void timeoutRetry() {
        timeoutRetries.increment();
    }

    void lockRenewed() {
        lockRenewals.increment();
    }

    /** Removes the per-runner gauge; the counters are shared by the consumer's runners and stay. */
    void close() {
        if (paused != null) {
            registry.remove(paused);
        }
    }
}
