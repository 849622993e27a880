package io.dedupconsumer.spring;

import io.dedupconsumer.core.BatchHandler;
import io.dedupconsumer.core.BatchResult;
import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.core.DatabaseUnavailableException;
import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.core.RecordProcessingException;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.listener.BatchListenerFailedException;

/**
 * The programmatic form of {@link Deduplicated @Deduplicated}, for a listener that prefers to call the dedup
 * protocol explicitly: {@code dedupTemplate.process(record, (r, connection) -> { ...; return HandlerResult.processed(); })}.
 *
 * <p>It runs a {@link Deduplicator} and turns what must not be committed as done into the exceptions spring-kafka's
 * error handling acts on: an {@code INVALID} record or a {@code CONFLICT} becomes an
 * {@link UnprocessableRecordException} (dead-lettered at once by the default error handler) or, under
 * {@link ConflictPolicy#FAIL}, an error retried until an operator steps in; a failed batch becomes a
 * {@link BatchListenerFailedException} naming the first record not done, so the container commits exactly the
 * records before it. A {@link DatabaseUnavailableException} passes through unchanged: retry it, never dead-letter it.
 * Thread-safe.
 */
public final class DedupTemplate {

    private final Deduplicator deduplicator;
    private final ConflictPolicy conflictPolicy;

    /**
     * @param deduplicator the protocol, normally built with a {@link SpringTransactionRunner} so that the handler's
     *     {@code JdbcTemplate} joins the transaction
     * @param conflictPolicy what a {@code CONFLICT} leads to
     */
    public DedupTemplate(Deduplicator deduplicator, ConflictPolicy conflictPolicy) {
        this.deduplicator = Objects.requireNonNull(deduplicator, "deduplicator");
        this.conflictPolicy = Objects.requireNonNull(conflictPolicy, "conflictPolicy");
    }

    /** The deduplicator this template runs, e.g. for its consumer name and store. */
    public Deduplicator deduplicator() {
        return deduplicator;
    }

    /**
     * Processes one record in its own transaction; returns when the transaction committed.
     *
     * @return {@code PROCESSED}, {@code REJECTED} or {@code DUPLICATE}
     * @throws UnprocessableRecordException for an {@code INVALID} record or a dead-lettered {@code CONFLICT}
     * @throws DatabaseUnavailableException when the database cannot be reached; nothing committed
     * @throws RecordProcessingException when the handler failed; nothing committed
     */
    public <K, V> DedupResult process(ConsumerRecord<K, V> record, RecordHandler<K, V> handler) {
        DedupResult result = deduplicator.process(record, handler);
        RuntimeException unprocessable = unprocessable(record, result);
        if (unprocessable != null) {
            throw unprocessable;
        }
        return result;
    }

    /**
     * Processes a poll batch in one transaction (see {@link Deduplicator#processBatch}); returns when every record
     * committed.
     *
     * @return the results of all records
     * @throws BatchListenerFailedException naming the first record that is not done: its cause is an
     *     {@link UnprocessableRecordException}, a {@link DatabaseUnavailableException} or a
     *     {@link RecordProcessingException}; the records before it committed, the ones after it will be redelivered
     *     (those that committed in the same transaction are then duplicates)
     */
    public <K, V> BatchResult processBatch(List<? extends ConsumerRecord<K, V>> records, RecordHandler<K, V> handler) {
        return completed(records, deduplicator.processBatch(records, handler));
    }

    /**
     * Processes a poll batch in one transaction with the handler called once for all the records whose keys it newly
     * claimed (see {@link Deduplicator#processBatchInOneCall}), so that the handler can send its statements as one
     * JDBC batch; returns when every record committed. When the handler throws, the batch is halved and redone until
     * the failing record is alone: the records before it commit, and it is reported as below, so that the error
     * handler retries and dead-letters that record only.
     *
     * @return the results of all records
     * @throws BatchListenerFailedException naming the first record that is not done, as {@link #processBatch} does
     */
    public <K, V> BatchResult processBatchInOneCall(List<? extends ConsumerRecord<K, V>> records,
            BatchHandler<K, V> handler) {
        return completed(records, deduplicator.processBatchInOneCall(records, handler));
    }

    /** The batch when every record is done; else the first record that is not, for the container's error handler. */
    private BatchResult completed(List<? extends ConsumerRecord<?, ?>> records, BatchResult batch) {
        List<DedupResult> results = batch.results();
        for (int i = 0; i < results.size(); i++) {
            RuntimeException unprocessable = unprocessable(records.get(i), results.get(i));
            if (unprocessable != null) {
                throw new BatchListenerFailedException(unprocessable.getMessage(), unprocessable, records.get(i));
            }
        }
        if (!batch.complete()) {
            throw new BatchListenerFailedException(batch.failure().getMessage(), batch.failure(),
                    records.get(batch.failedIndex()));
        }
        return batch;
    }

    private @Nullable RuntimeException unprocessable(ConsumerRecord<?, ?> record, DedupResult result) {
        if (result.outcome() == Outcome.INVALID
                || (result.outcome() == Outcome.CONFLICT && conflictPolicy == ConflictPolicy.DEAD_LETTER)) {
            return new UnprocessableRecordException(record, result);
        }
        if (result.outcome() == Outcome.CONFLICT) {
            return new UnresolvedConflictException(record, result);
        }
        return null;
    }

    @Override
    public String toString() {
        return "DedupTemplate[consumer=" + deduplicator.consumerName() + ", conflictPolicy=" + conflictPolicy + "]";
    }
}
