package io.dedupconsumer.spring;

import io.dedupconsumer.kafka.DeadLetterBudget;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;

/**
 * Reads a record back from the broker as bytes, so that a dead letter carries the bytes the broker delivered even
 * when the listener received them deserialized into text (a {@code String} of bytes that were not UTF-8 is not the
 * same bytes) or an object. Dead letters are rare, so the read costs nothing on the happy path; it uses the
 * listener's own consumer settings (cluster, security), no group, and is bounded by the {@link DeadLetterBudget}.
 * Thread-safe: the listener threads of one container share it, one read at a time.
 */
final class OriginalRecords implements AutoCloseable {

    private final Map<String, Object> config;
    private final Duration timeout;
    private @Nullable KafkaConsumer<byte[], byte[]> consumer;

    OriginalRecords(Map<String, Object> consumerConfig, DeadLetterBudget budget) {
        this.config = new HashMap<>(consumerConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        config.remove(ConsumerConfig.GROUP_PROTOCOL_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        Object clientId = consumerConfig.get(ConsumerConfig.CLIENT_ID_CONFIG);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, (clientId == null ? "dedup" : clientId) + "-dead-letter-originals");
        this.timeout = budget.perStep();
    }

    /**
     * The record at {@code offset} of the partition, as bytes.
     *
     * @return the record, or {@code null} when the topic no longer holds it (deleted by retention or compaction)
     * @throws IllegalStateException when it cannot be read within the budget; the record is then tried again later
     */
    synchronized @Nullable ConsumerRecord<byte[], byte[]> read(String topic, int partition, long offset) {
        TopicPartition tp = new TopicPartition(topic, partition);
        if (consumer == null) {
            consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }
        consumer.assign(List.of(tp));
        consumer.seek(tp, offset);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                List<ConsumerRecord<byte[], byte[]>> polled = consumer.poll(Duration.ofMillis(200)).records(tp);
                if (!polled.isEmpty()) {
                    ConsumerRecord<byte[], byte[]> first = polled.get(0);
                    return first.offset() == offset ? first : null; // a later offset: compacted away
                }
            }
        } catch (OffsetOutOfRangeException e) {
            return null; // deleted by retention
        }
        throw new IllegalStateException("the original bytes of " + topic + "-" + partition + "@" + offset
                + " could not be read back within " + timeout.toMillis() + " ms");
    }

    @Override
    public synchronized void close() {
        if (consumer != null) {
            consumer.close(Duration.ofSeconds(1));
        }
    }
}
