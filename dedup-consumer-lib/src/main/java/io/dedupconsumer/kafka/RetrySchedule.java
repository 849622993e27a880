package io.dedupconsumer.kafka;

import io.dedupconsumer.core.DatabaseUnavailableException;
import io.dedupconsumer.core.RecordProcessingException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the runner tries a record (or the database) again: a failed record after its backoff until its attempts are
 * used up, a record that timed out on locked rows without end, a failed dead letter after its backoff, and while the
 * database is unavailable every partition after a backoff that grows with the outage. Confined to the runner's thread.
 */
final class RetrySchedule {

    private static final Logger log = LoggerFactory.getLogger(DedupConsumerRunner.class);

    private final PartitionStates states;
    private final Backoff backoff;
    private final int maxAttempts;
    private final Clock clock;
    private final RunnerMetrics metrics;
    private final String name;
    private int outageFailures;
    private @Nullable Instant outageUntil;

    RetrySchedule(PartitionStates states, Backoff backoff, int maxAttempts, Clock clock, RunnerMetrics metrics,
            String name) {
        this.states = states;
        this.backoff = backoff;
        this.maxAttempts = maxAttempts;
        this.clock = clock;
        this.metrics = metrics;
        this.name = name;
    }

    int maxAttempts() {
        return maxAttempts;
    }

    /** Counts a record's failure; returns when to try it again, or {@code null} when its attempts are used up. */
    @Nullable Instant nextAttempt(ConsumerRecord<byte[], byte[]> raw, RecordProcessingException e) {
        int attempt = states.failed(partition(raw), raw.offset());
        if (attempt >= maxAttempts) {
            return null;
        }
        Duration delay = backoff.delay(attempt);
        metrics.recordRetry();
        log.warn("consumer {}: {} failed (attempt {} of {}); its partition pauses for {} ms, the others go on: {}",
                name, coordinates(raw), attempt, maxAttempts, delay.toMillis(),
                e.getCause() != null ? e.getCause().toString() : e.toString());
        return clock.instant().plus(delay);
    }

    /**
     * A record's transaction outlasted the transaction timeout on a lock or a statement: retried after a backoff,
     * without end and never dead-lettered (the rows it waits for are another transaction's, not its fault), while its
     * partition pauses and the others go on.
     */
    Instant afterTimeout(ConsumerRecord<byte[], byte[]> raw, DatabaseUnavailableException e) {
        int attempt = states.timedOut(partition(raw), raw.offset());
        Duration delay = backoff.delay(attempt);
        metrics.timeoutRetry();
        log.warn("consumer {}: {} timed out waiting for a lock or a statement ({} times in a row); its partition pauses "
                + "for {} ms and retries it, the others go on; it is never dead-lettered for this: {}", name,
                coordinates(raw), attempt, delay.toMillis(), e.getMessage());
        return clock.instant().plus(delay);
    }

    /** A dead letter at {@code offset} was not acknowledged: when to try the record again. */
    Instant afterDeadLetterFailure(TopicPartition partition, long offset) {
        return clock.instant().plus(backoff.delay(states.failed(partition, offset)));
    }

    /** The database failed whatever the record: every partition pauses, for longer the longer it lasts. */
    void outage(DatabaseUnavailableException e) {
        outageFailures++;
        Duration delay = backoff.delay(outageFailures);
        metrics.databaseRetry();
        if (e.reason() == DatabaseUnavailableException.Reason.REFUSED) {
            log.error("consumer {}: the database refuses the consumer's work (attempt {}); every partition pauses for {} "
                    + "ms, nothing is dead-lettered and nothing committed past the last database commit until it is "
                    + "fixed: {}", name, outageFailures, delay.toMillis(), e.getMessage());
        } else {
            log.warn("consumer {}: the database is unavailable (attempt {}); every partition pauses for {} ms and nothing "
                    + "is committed past the last database commit: {}", name, outageFailures, delay.toMillis(),
                    e.getCause() != null ? e.getCause().toString() : e.toString());
        }
        outageUntil = clock.instant().plus(delay);
    }

    /** The database answered: an outage, if there was one, is over. */
    void databaseAvailable() {
        if (outageFailures > 0) {
            log.info("consumer {}: the database is back after {} failed attempts", name, outageFailures);
            outageFailures = 0;
        }
    }

    /** Until when every partition pauses after an outage of this poll; asked once per poll. */
    Optional<Instant> takeOutagePause() {
        Optional<Instant> until = Optional.ofNullable(outageUntil);
        outageUntil = null;
        return until;
    }

    static TopicPartition partition(ConsumerRecord<?, ?> record) {
        return new TopicPartition(record.topic(), record.partition());
    }

    static String coordinates(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }
}
