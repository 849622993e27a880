package io.dedupconsumer.spring;

import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Outcome;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A record that no retry can fix: it has no usable dedup key ({@link Outcome#INVALID}), or it reuses a processed key
 * with another payload ({@link Outcome#CONFLICT}, under {@link io.dedupconsumer.core.ConflictPolicy#DEAD_LETTER}).
 * The default error handler classifies it as not retryable and dead-letters the record at once, with the outcome
 * and reason in the {@value DedupErrorHandling#OUTCOME_HEADER} and {@value DedupErrorHandling#REASON_HEADER} headers.
 * Nothing of the record was committed to the database.
 */
public final class UnprocessableRecordException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient DedupResult result;

    UnprocessableRecordException(ConsumerRecord<?, ?> record, DedupResult result) {
        super(result.outcome() + " record " + record.topic() + "-" + record.partition() + "@" + record.offset() + ": "
                + result.reason());
        this.result = result;
    }

    /** The outcome ({@link Outcome#INVALID} or {@link Outcome#CONFLICT}) and its reason. */
    public DedupResult result() {
        return result;
    }
}
