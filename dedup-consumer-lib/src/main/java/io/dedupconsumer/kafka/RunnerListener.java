package io.dedupconsumer.kafka;

import io.dedupconsumer.core.DedupResult;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Observes the moments between which a {@link DedupConsumerRunner} can crash: after the database transaction, after
 * a dead-letter acknowledgement, after the offset commit. For monitoring, auditing and fault-injection tests (a
 * listener that halts the JVM between the database commit and the offset commit proves that redelivery is harmless).
 * Every method has a no-op default; they run on the runner's thread, so they should be quick. An exception thrown by
 * a listener is logged and ignored.
 */
public interface RunnerListener {

    /**
     * After a database transaction of the runner completed: one record in {@link ProcessingMode#RECORD}, the
     * completed part of a poll in {@link ProcessingMode#BATCH}. The offsets of these records are not committed yet.
     *
     * @param records the records, deserialized, in order
     * @param results their results, one per record
     */
    default void afterDatabaseCommit(List<? extends ConsumerRecord<?, ?>> records, List<DedupResult> results) {
    }

    /**
     * After the dead-letter topic acknowledged a record, before its offset is committed.
     *
     * @param record the original record, with its original bytes
     * @param reason why it was dead-lettered
     */
    default void afterDeadLetter(ConsumerRecord<byte[], byte[]> record, DeadLetterReason reason) {
    }

    /**
     * After the consumer group accepted an offset commit.
     *
     * @param offsets the committed offsets: the next record to read, per partition
     */
    default void afterOffsetCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    }
}
