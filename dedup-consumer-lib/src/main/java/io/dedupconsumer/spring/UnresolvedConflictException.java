package io.dedupconsumer.spring;

import io.dedupconsumer.core.DedupResult;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A {@code CONFLICT} under {@link io.dedupconsumer.core.ConflictPolicy#FAIL}: the default error handler retries it
 * without end, so the partition stops at this record, uncommitted, until an operator resolves the conflict.
 */
final class UnresolvedConflictException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnresolvedConflictException(ConsumerRecord<?, ?> record, DedupResult result) {
        super("CONFLICT at " + record.topic() + "-" + record.partition() + "@" + record.offset() + " (dedup key '"
                + result.dedupKey() + "'): " + result.reason() + "; consumption of this partition stops here until an "
                + "operator resolves it (conflict policy FAIL)");
    }
}
