package io.dedupconsumer.kafka;

import static io.dedupconsumer.kafka.RetrySchedule.coordinates;
import static io.dedupconsumer.kafka.RetrySchedule.partition;

import io.dedupconsumer.core.BatchHandler;
import io.dedupconsumer.core.BatchResult;
import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.core.DatabaseUnavailableException;
import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.core.RecordProcessingException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The "process" step of the poll loop: runs one poll's records through the {@link Deduplicator}, a transaction per
 * record or per poll, sends those it gives up on to the dead-letter topic, and reports per partition what became of
 * each record and where the partition stopped ({@link PartitionProgress}). A partition stops at its first record that
 * is not done: one that waits for a retry, the database, or a conflict under {@link ConflictPolicy#FAIL}.
 */
final class PollProcessor<K, V> {

    private static final Logger log = LoggerFactory.getLogger(DedupConsumerRunner.class);

    private final Deduplicator deduplicator;
    private final @Nullable RecordHandler<K, V> handler;
    /** A poll's records in one transaction: the record handler per record, or the batch handler once. */
    private final Function<List<ConsumerRecord<K, V>>, BatchResult> batchTransaction;
    private final RecordDecoder<K, V> decoder;
    private final DeadLetterPublisher deadLetters;
    private final ConflictPolicy conflictPolicy;
    private final RetrySchedule retries;
    private final RunnerListener listener;
    private final BooleanSupplier closing;
    private final String name;
    private @Nullable RuntimeException fatal;

    /** @param handler for one transaction per record; or {@code batchHandler}, for a poll's new records at once */
    PollProcessor(Deduplicator deduplicator, @Nullable RecordHandler<K, V> handler,
            @Nullable BatchHandler<K, V> batchHandler, RecordDecoder<K, V> decoder, DeadLetterPublisher deadLetters,
            ConflictPolicy conflictPolicy, RetrySchedule retries, RunnerListener listener, BooleanSupplier closing,
            String name) {
        this.deduplicator = deduplicator;
        this.handler = handler;
        this.batchTransaction = batchHandler != null ? batch -> deduplicator.processBatchInOneCall(batch, batchHandler)
                : batch -> deduplicator.processBatch(batch, Objects.requireNonNull(handler, "handler"));
        this.decoder = decoder;
        this.deadLetters = deadLetters;
        this.conflictPolicy = conflictPolicy;
        this.retries = retries;
        this.listener = listener;
        this.closing = closing;
        this.name = name;
    }

    /** The reason to stop the runner (a conflict under {@link ConflictPolicy#FAIL}), or {@code null}. */
    @Nullable RuntimeException fatal() {
        return fatal;
    }

    /** One transaction per record; a partition stops at a record that waits, an outage stops every partition. */
    Map<TopicPartition, PartitionProgress> processRecords(ConsumerRecords<byte[], byte[]> records) {
        Map<TopicPartition, PartitionProgress> progress = new LinkedHashMap<>();
        boolean outage = false;
        for (TopicPartition partition : records.partitions()) {
            PartitionProgress p = new PartitionProgress(partition);
            progress.put(partition, p);
            for (ConsumerRecord<byte[], byte[]> raw : records.records(partition)) {
                if (outage || closing.getAsBoolean() || fatal != null || p.blocked()) {
                    p.stopAt(raw.offset());
                    break;
                }
                RecordDecoder.Decoded<K, V> decoded = decoder.decode(raw);
                if (decoded instanceof RecordDecoder.Undecodable<K, V> undecodable) {
                    undeserializable(p, raw, undecodable);
                    continue;
                }
                ConsumerRecord<K, V> record = ((RecordDecoder.Readable<K, V>) decoded).record();
                DedupResult result;
                try {
                    result = deduplicator.process(record, Objects.requireNonNull(handler, "handler"));
                } catch (DatabaseUnavailableException e) {
                    if (e.reason() == DatabaseUnavailableException.Reason.TIMED_OUT) {
                        retries.databaseAvailable(); // it answered: this record's rows are locked, the others may not be
                        p.retryAt(raw.offset(), retries.afterTimeout(raw, e));
                        break;
                    }
                    retries.outage(e);
                    outage = true;
                    p.stopAt(raw.offset());
                    break;
                } catch (RecordProcessingException e) {
                    retries.databaseAvailable(); // it answered, with an error of this record
                    Instant next = retries.nextAttempt(raw, e);
                    if (next == null) {
                        gaveUp(p, raw, e);
                        continue;
                    }
                    p.retryAt(raw.offset(), next);
                    break;
                }
                retries.databaseAvailable();
                afterDatabaseCommit(List.of(record), List.of(result));
                if (!accept(p, raw, result)) {
                    break;
                }
            }
        }
        return progress;
    }

    /** One transaction per poll; see {@link BatchProcessing}. */
    Map<TopicPartition, PartitionProgress> processBatch(ConsumerRecords<byte[], byte[]> records) {
        return new BatchProcessing<>(this, batchTransaction, decoder, retries).process(records);
    }

    /** Applies a record's outcome; returns {@code false} when the partition must stop at this record. */
    boolean accept(PartitionProgress p, ConsumerRecord<byte[], byte[]> raw, DedupResult result) {
        switch (result.outcome()) {
            case INVALID -> deadLetter(p, raw, DeadLetterReason.INVALID, result.reason(), result.dedupKey(), null, false);
            case CONFLICT -> {
                if (conflictPolicy == ConflictPolicy.FAIL) {
                    if (fatal == null) {
                        fatal = new IllegalStateException("consumer " + name + " stopped: " + coordinates(raw) + " is a "
                                + "CONFLICT (" + result.reason() + ") and the conflict policy is FAIL; its offset is not "
                                + "committed. Resolve the conflict, then restart (or use ConflictPolicy.DEAD_LETTER)");
                        log.error(fatal.getMessage());
                    }
                    p.stopAt(raw.offset());
                    return false;
                }
                deadLetter(p, raw, DeadLetterReason.CONFLICT, result.reason(), result.dedupKey(), null, false);
            }
            default -> p.committed(raw);
        }
        return true;
    }

    void undeserializable(PartitionProgress p, ConsumerRecord<byte[], byte[]> raw, RecordDecoder.Undecodable<K, V> decoded) {
        deduplicator.invalid(raw, decoded.reason()); // counted as every integration counts it
        log.warn("consumer {}: {}: {}; dead-lettering it", name, coordinates(raw), decoded.reason());
        deadLetter(p, raw, DeadLetterReason.INVALID, decoded.reason(), null, decoded.failure(), decoded.keyFailed());
    }

    void gaveUp(PartitionProgress p, ConsumerRecord<byte[], byte[]> raw, RecordProcessingException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        log.error("consumer {}: {} failed {} times; dead-lettering it. Last failure: {}", name, coordinates(raw),
                retries.maxAttempts(), cause.toString(), cause);
        deadLetter(p, raw, DeadLetterReason.FAILED, "processing failed " + retries.maxAttempts() + " times; last "
                + "failure: " + cause, null, cause, false);
    }

    private void deadLetter(PartitionProgress p, ConsumerRecord<byte[], byte[]> raw, DeadLetterReason reason,
            @Nullable String explanation, @Nullable String dedupKey, @Nullable Throwable failure, boolean keyFailure) {
        p.deadLetterSent(raw, deadLetters.publish(raw, new DeadLetter(reason, explanation, dedupKey, failure, keyFailure)),
                reason);
    }

    void afterDatabaseCommit(List<? extends ConsumerRecord<?, ?>> records, List<DedupResult> results) {
        try {
            listener.afterDatabaseCommit(records, results);
        } catch (RuntimeException e) {
            log.warn("consumer {}: RunnerListener.afterDatabaseCommit failed; ignored", name, e);
        }
    }
}
