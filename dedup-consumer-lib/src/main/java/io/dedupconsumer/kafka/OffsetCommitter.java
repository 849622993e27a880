package io.dedupconsumer.kafka;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The offsets the runner may commit ({@link PartitionProgress#committableOffset()}) until the consumer group accepts
 * them: committed synchronously after each poll, through the wake-up that {@code close()} sends, and on revocation for
 * the partitions leaving; forgotten for lost partitions, which already belong to another consumer. Confined to the
 * runner's thread.
 */
final class OffsetCommitter {

    private static final Logger log = LoggerFactory.getLogger(DedupConsumerRunner.class);
    /** A wake-up is spent by the call it interrupts: one retry commits for real, a few more are for safety. */
    private static final int WAKEUP_RETRIES = 3;

    private final Consumer<?, ?> consumer;
    private final RunnerListener listener;
    private final RunnerMetrics metrics;
    private final String name;
    /** Offsets ready to commit (the next record to read per partition), not yet accepted by the group. */
    private final Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();

    OffsetCommitter(Consumer<?, ?> consumer, RunnerListener listener, RunnerMetrics metrics, String name) {
        this.consumer = consumer;
        this.listener = listener;
        this.metrics = metrics;
        this.name = name;
    }

    /** Marks {@code offset} for the next commit of {@code partition}, replacing an earlier one. */
    void stage(TopicPartition partition, OffsetAndMetadata offset) {
        pending.put(partition, offset);
    }

    /**
     * Commits what is staged. A rebalance in progress or a retriable error defers the commit to after the next poll;
     * a group that refused it (the partitions moved on) drops it: the new owner finds those records DUPLICATE.
     *
     * @throws WakeupException when the consumer is woken up more often than a close explains
     * @throws org.apache.kafka.common.KafkaException when the commit fails for good
     */
    void commit() {
        if (pending.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(pending);
        try {
            commitSync(offsets);
            pending.clear();
        } catch (RebalanceInProgressException | RetriableException e) {
            log.info("consumer {}: offset commit deferred to after the next poll: {}", name, e.toString());
        } catch (CommitFailedException e) {
            pending.clear();
            log.warn("consumer {}: the group refused the offset commit, the partitions moved to another consumer; it "
                    + "receives these records again and finds them DUPLICATE: {}", name, e.getMessage());
        }
    }

    /** Commits what is staged for the partitions leaving this consumer, and forgets them. */
    void revoked(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
        for (TopicPartition partition : partitions) {
            OffsetAndMetadata offset = pending.remove(partition);
            if (offset != null) {
                done.put(partition, offset);
            }
        }
        if (!done.isEmpty()) {
            try {
                commitSync(done);
            } catch (RuntimeException e) {
                log.warn("consumer {}: could not commit {} on revocation; the next owner redoes those records as "
                        + "DUPLICATE: {}", name, done, e.toString());
            }
        }
    }

    /** The partitions already belong to another consumer: their staged offsets are dropped, never committed. */
    void lost(Collection<TopicPartition> partitions) {
        pending.keySet().removeAll(partitions);
    }

    private void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        for (int attempt = 1; ; attempt++) {
            try {
                consumer.commitSync(offsets);
                break;
            } catch (WakeupException e) {
                // close() woke the consumer up; the wake-up is spent now, so commit for real.
                if (attempt >= WAKEUP_RETRIES) {
                    throw e;
                }
            }
        }
        metrics.committed();
        try {
            listener.afterOffsetCommit(offsets);
        } catch (RuntimeException e) {
            log.warn("consumer {}: RunnerListener.afterOffsetCommit failed; ignored", name, e);
        }
    }
}
