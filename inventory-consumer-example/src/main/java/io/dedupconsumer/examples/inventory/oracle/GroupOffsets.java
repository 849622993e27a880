package io.dedupconsumer.examples.inventory.oracle;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * How far a consumer group got on a topic, read from the offsets it committed: the signal the verifiers wait for and
 * check against, because the inventory service commits an offset only after the record's database transaction did.
 * One reader for the demo, the replay/verify command and the chaos suite.
 */
public final class GroupOffsets {

    private GroupOffsets() {
    }

    /**
     * The offsets {@code group} committed on {@code topic}, per partition; partitions without one are absent, and so
     * is every partition of a group that never committed.
     *
     * @throws IllegalStateException when the cluster does not answer within {@code timeout}, or refuses
     */
    public static Map<TopicPartition, Long> committed(Admin admin, String group, String topic, Duration timeout) {
        Map<TopicPartition, OffsetAndMetadata> offsets;
        try {
            offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the offsets of group " + group, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read the offsets of group " + group + ": " + e.getCause(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out reading the offsets of group " + group, e);
        }
        Map<TopicPartition, Long> committed = new HashMap<>();
        offsets.forEach((partition, offset) -> {
            if (offset != null && partition.topic().equals(topic)) {
                committed.put(partition, offset.offset());
            }
        });
        return committed;
    }

    /** The records below {@code offsets}: their sum, for a topic whose partitions start at offset 0. */
    public static long total(Map<TopicPartition, Long> offsets) {
        return offsets.values().stream().mapToLong(Long::longValue).sum();
    }
}
