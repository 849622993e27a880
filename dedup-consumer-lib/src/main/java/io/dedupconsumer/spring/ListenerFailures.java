package io.dedupconsumer.spring;

import io.dedupconsumer.core.DatabaseUnavailableException;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.kafka.DeadLetterReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the error handler of one deduplicated listener reports about failing records: a WARN per failed attempt, an
 * ERROR per record given up (with its coordinates and reason, never its payload), and the meters the kafka-clients
 * runner keeps too ({@code dedup.retries}, {@code dedup.dead.letters}, {@code dedup.dead.letter.failures}), so both
 * integrations count the same things. An undeserializable record never reaches the deduplicator; it is counted as an
 * {@code INVALID} outcome here.
 */
final class ListenerFailures {

    /** For an error handler built outside a listener container: logs only. */
    static final ListenerFailures NONE = new ListenerFailures("listener", null, null);

    private static final Logger log = LoggerFactory.getLogger(DedupErrorHandling.class);

    private final String listener;
    private final Deduplicator deduplicator;
    private final MeterRegistry registry;

    /**
     * @param deduplicator the listener's, which counts outcomes; {@code null} to count nothing
     * @param registry where the failure meters go; {@code null} to count nothing
     */
    ListenerFailures(String listener, Deduplicator deduplicator, MeterRegistry registry) {
        this.listener = listener;
        this.deduplicator = deduplicator;
        this.registry = registry;
    }

    void attemptFailed(ConsumerRecord<?, ?> record, Exception failure, int attempt) {
        DedupErrorHandling.Verdict verdict = DedupErrorHandling.Verdict.of(failure);
        if (!DeadLetterReason.FAILED.name().equals(verdict.outcome())) {
            return; // not retried: the ERROR of gaveUp says all
        }
        if (DedupErrorHandling.find(failure, UnresolvedConflictException.class) != null) {
            count("dedup.retries", "kind", "conflict");
            log.warn("{}: {} attempt {}: a CONFLICT under the conflict policy FAIL; the partition waits here until an "
                    + "operator resolves it: {}", listener, coordinates(record), attempt,
                    DedupErrorHandling.find(failure, UnresolvedConflictException.class).getMessage());
        } else if (DedupErrorHandling.find(failure, DatabaseUnavailableException.class) != null) {
            DatabaseUnavailableException unavailable = DedupErrorHandling.find(failure, DatabaseUnavailableException.class);
            switch (unavailable.reason()) {
                case REFUSED -> {
                    count("dedup.retries", "kind", "database-unavailable");
                    log.error("{}: {} attempt {} failed, the database refuses the consumer's work; retried without end, "
                            + "never dead-lettered, until it is fixed: {}", listener, coordinates(record), attempt,
                            unavailable.getMessage());
                }
                case TIMED_OUT -> {
                    count("dedup.retries", "kind", "timed-out");
                    log.warn("{}: {} attempt {} timed out on a lock or a statement; retried without end, never "
                            + "dead-lettered: {}", listener, coordinates(record), attempt, unavailable.getMessage());
                }
                default -> {
                    count("dedup.retries", "kind", "database-unavailable");
                    log.warn("{}: {} attempt {} failed, the database is unavailable; retried without end, never "
                            + "dead-lettered: {}", listener, coordinates(record), attempt,
                            DedupErrorHandling.rootCause(failure).toString());
                }
            }
        } else {
            count("dedup.retries", "kind", "record");
            log.warn("{}: {} attempt {} failed and rolled back; retried after the backoff: {}", listener,
                    coordinates(record), attempt, DedupErrorHandling.rootCause(failure).toString());
        }
    }

    void gaveUp(ConsumerRecord<?, ?> record, DedupErrorHandling.Verdict verdict) {
        if (verdict.undeserializable() && deduplicator != null) {
            deduplicator.invalid(record, verdict.reason());
        }
        count("dedup.dead.letters", "reason", verdict.outcome());
        log.error("{}: {} dead-lettered as {}: {}", listener, coordinates(record), verdict.outcome(), verdict.reason());
    }

    void recoveryFailed(ConsumerRecord<?, ?> record, Exception failure) {
        count("dedup.dead.letter.failures", null, null);
        log.error("{}: {} could not be dead-lettered; its offset is not committed and it is tried again: {}", listener,
                coordinates(record), failure.toString());
    }

    private void count(String name, String tag, String value) {
        if (registry == null || deduplicator == null) {
            return;
        }
        Counter.Builder counter = Counter.builder(name).tag("consumer", deduplicator.consumerName());
        if (tag != null) {
            counter.tag(tag, value);
        }
        counter.register(registry).increment();
    }

    private static String coordinates(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }
}
