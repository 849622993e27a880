package io.dedupconsumer.kafka;

import static io.dedupconsumer.kafka.RetrySchedule.partition;

import io.dedupconsumer.core.BatchResult;
import io.dedupconsumer.core.DatabaseUnavailableException;
import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.RecordProcessingException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * One poll in {@link ProcessingMode#BATCH}: the readable records of every partition in one transaction; after a
 * failing record, the rest of the poll in another, without the partition that waits for a retry; then each
 * partition's records in offset order as {@link PartitionProgress}. One instance per poll.
 */
final class BatchProcessing<K, V> {

    private final PollProcessor<K, V> outcomes;
    private final Function<List<ConsumerRecord<K, V>>, BatchResult> batchTransaction;
    private final RecordDecoder<K, V> decoder;
    private final RetrySchedule retries;

    BatchProcessing(PollProcessor<K, V> outcomes, Function<List<ConsumerRecord<K, V>>, BatchResult> batchTransaction,
            RecordDecoder<K, V> decoder, RetrySchedule retries) {
        this.outcomes = outcomes;
        this.batchTransaction = batchTransaction;
        this.decoder = decoder;
        this.retries = retries;
    }

    Map<TopicPartition, PartitionProgress> process(ConsumerRecords<byte[], byte[]> records) {
        Map<TopicPartition, List<Slot<K, V>>> byPartition = new LinkedHashMap<>();
        List<Slot<K, V>> work = new ArrayList<>(records.count());
        for (TopicPartition partition : records.partitions()) {
            List<Slot<K, V>> slots = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> raw : records.records(partition)) {
                Slot<K, V> slot = new Slot<>(raw, decoder.decode(raw));
                slots.add(slot);
                if (slot.decoded instanceof RecordDecoder.Readable<K, V>) {
                    work.add(slot);
                }
            }
            byPartition.put(partition, slots);
        }
        while (!work.isEmpty()) {
            work = transaction(work);
        }
        Map<TopicPartition, PartitionProgress> progress = new LinkedHashMap<>();
        byPartition.forEach((partition, slots) -> progress.put(partition, progress(partition, slots)));
        return progress;
    }

    /** Runs {@code work} in one transaction; returns what is left to run in the next (empty when done). */
    private List<Slot<K, V>> transaction(List<Slot<K, V>> work) {
        List<ConsumerRecord<K, V>> batch = new ArrayList<>(work.size());
        for (Slot<K, V> slot : work) {
            batch.add(((RecordDecoder.Readable<K, V>) slot.decoded).record());
        }
        BatchResult result = batchTransaction.apply(batch);
        List<DedupResult> results = result.results();
        for (int i = 0; i < results.size(); i++) {
            work.get(i).state = new Processed(results.get(i));
        }
        if (!results.isEmpty()) {
            retries.databaseAvailable();
            outcomes.afterDatabaseCommit(batch.subList(0, results.size()), results);
        }
        if (result.complete()) {
            return List.of();
        }
        Slot<K, V> failed = work.get(result.failedIndex());
        List<Slot<K, V>> rest = new ArrayList<>(work.subList(result.failedIndex() + 1, work.size()));
        if (result.failure() instanceof DatabaseUnavailableException e
                && e.reason() != DatabaseUnavailableException.Reason.TIMED_OUT) {
            retries.outage(e);
            return List.of();
        }
        retries.databaseAvailable(); // it answered, with an error of this record (or a timeout on its locked rows)
        if (result.failure() instanceof DatabaseUnavailableException timedOut) {
            failed.state = new RetryAt(retries.afterTimeout(failed.raw, timedOut));
        } else {
            RecordProcessingException e = (RecordProcessingException) result.failure();
            Instant next = retries.nextAttempt(failed.raw, e);
            failed.state = next != null ? new RetryAt(next) : new GaveUp(e);
        }
        if (failed.state instanceof RetryAt) {
            TopicPartition partition = partition(failed.raw);
            rest.removeIf(slot -> partition(slot.raw).equals(partition));
        }
        return rest;
    }

    /** The partition's records in offset order, up to the first that is not done. */
    private PartitionProgress progress(TopicPartition partition, List<Slot<K, V>> slots) {
        PartitionProgress p = new PartitionProgress(partition);
        for (Slot<K, V> slot : slots) {
            if (p.blocked()) {
                p.stopAt(slot.raw.offset());
                break;
            }
            if (slot.decoded instanceof RecordDecoder.Undecodable<K, V> undecodable) {
                outcomes.undeserializable(p, slot.raw, undecodable);
            } else if (slot.state instanceof Processed processed) {
                if (!outcomes.accept(p, slot.raw, processed.result())) {
                    break;
                }
            } else if (slot.state instanceof GaveUp gaveUp) {
                outcomes.gaveUp(p, slot.raw, gaveUp.failure());
            } else {
                // Not done: waits for a retry, the database, or a partition that came earlier in the poll.
                if (slot.state instanceof RetryAt retry) {
                    p.retryAt(slot.raw.offset(), retry.when());
                } else {
                    p.stopAt(slot.raw.offset());
                }
                break;
            }
        }
        return p;
    }

    /** A polled record on its way through the batch. */
    private static final class Slot<K, V> {
        final ConsumerRecord<byte[], byte[]> raw;
        final RecordDecoder.Decoded<K, V> decoded;
        SlotState state = new Unprocessed();

        Slot(ConsumerRecord<byte[], byte[]> raw, RecordDecoder.Decoded<K, V> decoded) {
            this.raw = raw;
            this.decoded = decoded;
        }
    }

    /** Where a record of the batch stands. */
    private sealed interface SlotState {
    }

    /** Not run yet: it waits for the database, or for its partition that waits for a retry. */
    private record Unprocessed() implements SlotState {
    }

    /** Its transaction committed with this result. */
    private record Processed(DedupResult result) implements SlotState {
    }

    /** It failed and is tried again at {@code when}. */
    private record RetryAt(Instant when) implements SlotState {
    }

    /** It failed on its last attempt: dead-lettered. */
    private record GaveUp(RecordProcessingException failure) implements SlotState {
    }
}
