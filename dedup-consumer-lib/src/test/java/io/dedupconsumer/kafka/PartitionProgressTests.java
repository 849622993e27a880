package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The runner's one rule without a broker: a partition's offset moves past a record only when its transaction
 * committed or its dead letter was acknowledged.
 */
class PartitionProgressTests {

    private static final TopicPartition PARTITION = new TopicPartition("orders", 0);

    private final PartitionProgress progress = new PartitionProgress(PARTITION);

    @Test
    void committedRecordsInOrderAreCommittedPastTheLast() {
        progress.committed(record(10));
        progress.committed(record(11));
        progress.committed(record(12));

        assertThat(progress.settle(sent -> true)).isEmpty();
        assertThat(progress.committableOffset()).contains(new OffsetAndMetadata(13, Optional.of(7), ""));
        assertThat(progress.seekOffset()).isEmpty();
        assertThat(progress.pauseUntil()).isEmpty();
    }

    @Test
    void nothingIsCommittableBeforeTheFirstRecordIsDone() {
        assertThat(progress.committableOffset()).isEmpty();

        progress.deadLetterSent(record(10), new CompletableFuture<>(), DeadLetterReason.INVALID);
        progress.committed(record(11));

        assertThat(progress.committableOffset()).isEmpty();
    }

    @Test
    void aPendingDeadLetterHoldsTheOffsetEvenWhenLaterRecordsCommitted() {
        progress.committed(record(10));
        progress.deadLetterSent(record(11), new CompletableFuture<>(), DeadLetterReason.CONFLICT);
        progress.committed(record(12));

        assertThat(progress.committableOffset()).map(OffsetAndMetadata::offset).contains(11L);
        assertThat(progress.blocked()).isFalse();
    }

    @Test
    void anAcknowledgedDeadLetterLetsTheOffsetMovePastIt() {
        progress.committed(record(10));
        progress.deadLetterSent(record(11), CompletableFuture.completedFuture(metadata()), DeadLetterReason.CONFLICT);
        progress.committed(record(12));
        List<Long> waitedFor = new ArrayList<>();

        assertThat(progress.settle(sent -> waitedFor.add(sent.raw().offset()))).isEmpty();

        assertThat(waitedFor).containsExactly(11L);
        assertThat(progress.committableOffset()).map(OffsetAndMetadata::offset).contains(13L);
    }

    @Test
    void aFailedDeadLetterStopsTheOffsetThereAndTheDeadLettersAfterItAreNotWaitedFor() {
        progress.committed(record(10));
        progress.deadLetterSent(record(11), new CompletableFuture<>(), DeadLetterReason.FAILED);
        progress.deadLetterSent(record(12), CompletableFuture.completedFuture(metadata()), DeadLetterReason.INVALID);
        progress.committed(record(13));
        List<Long> waitedFor = new ArrayList<>();

        assertThat(progress.settle(sent -> {
            waitedFor.add(sent.raw().offset());
            return false;
        })).hasValue(11L);

        assertThat(waitedFor).containsExactly(11L);
        assertThat(progress.committableOffset()).map(OffsetAndMetadata::offset).contains(11L);
    }

    @Test
    void aDeadLetterThatFailedAtOnceBlocksTheRestOfThePoll() {
        progress.deadLetterSent(record(10), CompletableFuture.failedFuture(new IllegalStateException("no cluster")),
                DeadLetterReason.INVALID);

        assertThat(progress.blocked()).isTrue();
        assertThat(progress.settle(sent -> false)).hasValue(10L);
        assertThat(progress.committableOffset()).isEmpty();
    }

    @Test
    void aRecordWaitingForARetryIsWhereThePartitionIsReadAgainAndPauses() {
        Instant later = Instant.parse("2026-01-01T00:00:00Z");
        progress.committed(record(10));
        progress.retryAt(11, later);

        assertThat(progress.committableOffset()).map(OffsetAndMetadata::offset).contains(11L);
        assertThat(progress.seekOffset()).hasValue(11);
        assertThat(progress.pauseUntil()).contains(later);
    }

    @Test
    void aPartitionStoppedForTheDatabaseIsReadAgainWithoutPausingOnItsOwn() {
        progress.stopAt(10);

        assertThat(progress.committableOffset()).isEmpty();
        assertThat(progress.seekOffset()).hasValue(10);
        assertThat(progress.pauseUntil()).isEmpty();
    }

    private static ConsumerRecord<byte[], byte[]> record(long offset) {
        return new ConsumerRecord<>(PARTITION.topic(), PARTITION.partition(), offset, 0L,
                org.apache.kafka.common.record.TimestampType.CREATE_TIME, 1, 1, new byte[] {1}, new byte[] {1},
                new org.apache.kafka.common.header.internals.RecordHeaders(), Optional.of(7));
    }

    private static RecordMetadata metadata() {
        return new RecordMetadata(new TopicPartition("orders-dlt", 0), 0, 0, 0L, 1, 1);
    }
}
