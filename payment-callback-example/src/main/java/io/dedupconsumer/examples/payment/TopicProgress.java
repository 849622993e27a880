package io.dedupconsumer.examples.payment;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * How far a consumer group got on a topic, read with the admin client: caught up when its committed offset equals
 * the end offset on every partition. The container commits only after the dedup transaction (and any dead letter or
 * alert) completed, so a caught-up group has finished every record's work.
 */
final class TopicProgress {

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    private final Admin admin;

    TopicProgress(Admin admin) {
        this.admin = admin;
    }

    /** Records of {@code topic} the group has not committed yet (all of them when it committed nothing). */
    long lag(String group, String topic) {
        try {
            var partitions = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(topic).partitions().stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            ListOffsetsResult ends = admin.listOffsets(partitions.stream()
                    .collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest())));
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            long lag = 0;
            for (TopicPartition partition : partitions) {
                long end = ends.partitionResult(partition).get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).offset();
                OffsetAndMetadata done = committed.get(partition);
                lag += end - (done == null ? 0 : done.offset());
            }
            return lag;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the progress of " + group, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the progress of group " + group + " on " + topic + ": " + e, e);
        }
    }

    /**
     * Waits until the group has committed every record of the topic.
     *
     * @return whether it caught up within {@code timeout}
     */
    boolean awaitCaughtUp(String group, String topic, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lag(group, topic) > 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
