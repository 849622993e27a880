package io.dedupconsumer.kafka;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

/**
 * What became of one partition's records in one poll, in offset order, and where the partition stopped. It keeps the
 * runner's one rule, {@link #committableOffset()}: the offset moves past a record only when its transaction committed
 * or its dead letter was acknowledged. Confined to the runner's thread.
 */
final class PartitionProgress {

    private final TopicPartition partition;
    private final List<RecordState> records = new ArrayList<>();
    private long stopOffset = -1;
    private @Nullable Instant pauseUntil;
    /** A dead-letter send failed at once: nothing after it can be committed in this poll, so stop sending. */
    private boolean blocked;

    PartitionProgress(TopicPartition partition) {
        this.partition = partition;
    }

    TopicPartition partition() {
        return partition;
    }

    /** The record's transaction committed (or it needed none). */
    void committed(ConsumerRecord<byte[], byte[]> raw) {
        records.add(new RecordState.Committed(raw));
    }

    /** The record was sent to the dead-letter topic; a send that already failed {@linkplain #blocked() blocks}. */
    void deadLetterSent(ConsumerRecord<byte[], byte[]> raw, Future<RecordMetadata> send, DeadLetterReason reason) {
        records.add(new RecordState.DeadLetterSent(raw, send, reason));
        if (send.isDone()) {
            try {
                send.get();
            } catch (ExecutionException | InterruptedException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                blocked = true;
            }
        }
    }

    /** Whether a dead letter of this poll already failed, so that processing the records after it is pointless. */
    boolean blocked() {
        return blocked;
    }

    /** The partition is read again from {@code offset} (not done: it waits for the database or an earlier partition). */
    void stopAt(long offset) {
        stopOffset = offset;
    }

    /** The partition is read again from {@code offset}, and paused until {@code when}. */
    void retryAt(long offset, Instant when) {
        stopOffset = offset;
        pauseUntil = when;
    }

    /**
     * Settles the dead letters in offset order: each one {@code acknowledged} accepts becomes acknowledged; the first
     * one it refuses becomes failed, and the dead letters after it stay unsettled.
     *
     * @return the offset of the dead letter that failed, if one did
     */
    OptionalLong settle(Predicate<RecordState.DeadLetterSent> acknowledged) {
        for (int i = 0; i < records.size(); i++) {
            if (records.get(i) instanceof RecordState.DeadLetterSent sent) {
                if (!acknowledged.test(sent)) {
                    records.set(i, new RecordState.DeadLetterFailed(sent.raw(), sent.reason()));
                    return OptionalLong.of(sent.raw().offset());
                }
                records.set(i, new RecordState.DeadLetterAcknowledged(sent.raw(), sent.reason()));
            }
        }
        return OptionalLong.empty();
    }

    /**
     * The rule: the offset to commit, the one after the last record of the longest prefix whose records all committed
     * their transaction or had their dead letter acknowledged; empty when the first record is not done.
     */
    Optional<OffsetAndMetadata> committableOffset() {
        @Nullable OffsetAndMetadata offset = null;
        for (RecordState record : records) {
            if (!record.done()) {
                break;
            }
            offset = new OffsetAndMetadata(record.raw().offset() + 1, record.raw().leaderEpoch(), "");
        }
        return Optional.ofNullable(offset);
    }

    /** Where the partition must be read again from: the first record that is not done, if the poll has one. */
    OptionalLong seekOffset() {
        return stopOffset >= 0 ? OptionalLong.of(stopOffset) : OptionalLong.empty();
    }

    /** Until when the partition pauses, if it waits for a retry. */
    Optional<Instant> pauseUntil() {
        return Optional.ofNullable(pauseUntil);
    }
}
