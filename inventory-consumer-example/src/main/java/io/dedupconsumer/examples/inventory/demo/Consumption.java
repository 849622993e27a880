package io.dedupconsumer.examples.inventory.demo;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads how far a consumer group got through a topic from the offsets it committed, the signal that records are done
 * for good: the service commits an offset only after the record's database transaction committed.
 */
final class Consumption {

    private static final long ADMIN_TIMEOUT_SECONDS = 30;
    private static final long POLL_MILLIS = 200;

    private final Admin admin;

    Consumption(Admin admin) {
        this.admin = admin;
    }

    /** The sum of the latest offsets of every partition of {@code topic}: how many records it holds. */
    long endOffsets(String topic) {
        try {
            var partitions = admin.describeTopics(java.util.List.of(topic)).allTopicNames()
                    .get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS).get(topic).partitions();
            Map<TopicPartition, OffsetSpec> latest = partitions.stream().collect(Collectors.toMap(
                    p -> new TopicPartition(topic, p.partition()), p -> OffsetSpec.latest()));
            return admin.listOffsets(latest).all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS).values().stream()
                    .mapToLong(info -> info.offset()).sum();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the offsets of " + topic, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the offsets of " + topic + ": " + e, e);
        }
    }

    /** The sum of the offsets {@code group} committed on {@code topic}: how many of its records the group finished. */
    long committed(String group, String topic) {
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return offsets.entrySet().stream()
                    .filter(entry -> entry.getKey().topic().equals(topic) && entry.getValue() != null)
                    .mapToLong(entry -> entry.getValue().offset()).sum();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the offsets of group " + group, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the offsets of group " + group + ": " + e, e);
        }
    }

    /**
     * Waits until {@code group} committed {@code total} records of {@code topic}, printing a progress line every
     * {@code every}.
     *
     * @return the records committed when it returned: {@code total}, or fewer when {@code timeout} passed first
     */
    long await(String label, String group, String topic, long total, Duration timeout, Duration every, PrintStream out) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long nextReport = start + every.toNanos();
        long done = committed(group, topic);
        while (done < total && System.nanoTime() < deadline) {
            pause();
            done = committed(group, topic);
            long now = System.nanoTime();
            if (now >= nextReport && done < total) {
                double seconds = (now - start) / 1e9;
                out.printf("      %s: %d/%d records (%d%%), %.0f records/s%n", label, done, total, 100 * done / total,
                        done / seconds);
                nextReport = now + every.toNanos();
            }
        }
        return done;
    }

    private static void pause() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the consumer group", e);
        }
    }
}
