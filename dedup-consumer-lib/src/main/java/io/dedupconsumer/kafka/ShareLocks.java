package io.dedupconsumer.kafka;

import static io.dedupconsumer.kafka.RetrySchedule.coordinates;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The acquisition locks of the records a {@link DedupShareConsumerRunner} holds, on the runner's own thread: while a
 * record's work runs on the handler thread, renews ({@code RENEW}) its lock and those of the records waiting behind it
 * every half lock duration, up to {@code maxLockRenewal}, and tracks the new instances the consumer hands back. Apart
 * from the per-record decision because renewing is a conversation with the consumer (acknowledge, commit, poll) that
 * has nothing to do with what the record means.
 */
final class ShareLocks {

    private static final Logger log = LoggerFactory.getLogger(DedupShareConsumerRunner.class);
    /** How long a renewal waits for the consumer to hand the renewed records back. */
    private static final Duration RENEWAL_WAIT = Duration.ofSeconds(2);

    private final KafkaShareConsumer<byte[], byte[]> consumer;
    private final RunnerMetrics metrics;
    private final Duration maxLockRenewal;
    private final Duration commitWait;
    private final String name;
    /** When the locks of the records held were last acquired or renewed ({@link System#nanoTime()}). */
    private long lockedAt;

    ShareLocks(KafkaShareConsumer<byte[], byte[]> consumer, RunnerMetrics metrics, Duration maxLockRenewal,
            Duration commitWait, String name) {
        this.consumer = consumer;
        this.metrics = metrics;
        this.maxLockRenewal = maxLockRenewal;
        this.commitWait = commitWait;
        this.name = name;
    }

    /** The record being processed, as last returned by the consumer (a renewed record comes back as a new instance). */
    static final class Held {
        ConsumerRecord<byte[], byte[]> record;
        final long since = System.nanoTime();
        boolean lost;

        Held(ConsumerRecord<byte[], byte[]> record) {
            this.record = record;
        }
    }

    /** Notes that the records of a poll were just acquired. */
    void acquired() {
        lockedAt = System.nanoTime();
    }

    /** Whether the broker told the consumer a lock duration, so that locks can be renewed at all. */
    boolean renewable() {
        return consumer.acquisitionLockTimeoutMs().isPresent();
    }

    /** Whether the record has been held for {@code maxLockRenewal}, past which its lock is no longer renewed. */
    boolean heldTooLong(Held current) {
        return System.nanoTime() - current.since >= maxLockRenewal.toNanos();
    }

    Duration maxLockRenewal() {
        return maxLockRenewal;
    }

    /**
     * Waits for work on the handler thread; every half lock duration meanwhile renews the locks of the record and of
     * those still waiting ({@code held}), until the record has been held for {@code maxLockRenewal}: then its lock is
     * left to expire, so that a stuck handler does not keep records from the group.
     */
    <T> T await(Held current, Deque<ConsumerRecord<byte[], byte[]>> held, Future<T> work) {
        Optional<Integer> lock = consumer.acquisitionLockTimeoutMs();
        boolean renewing = lock.isPresent();
        while (true) {
            long wait = renewing
                    ? Math.max(0, lockedAt + TimeUnit.MILLISECONDS.toNanos(lock.orElseThrow() / 2) - System.nanoTime())
                    : Long.MAX_VALUE;
            try {
                return work.get(wait, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (!current.lost && !heldTooLong(current)) {
                    renew(current, held);
                } else {
                    renewing = false;
                    log.warn("share consumer {}: {} has been held for more than {} ms; its lock (and those of the {} "
                            + "records waiting behind it) is no longer renewed and goes back to the group when it "
                            + "expires", name, coordinates(current.record), maxLockRenewal.toMillis(), held.size());
                }
            } catch (ExecutionException e) {
                throw new IllegalStateException("share consumer " + name + ": processing " + coordinates(current.record)
                        + " failed unexpectedly", e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("share consumer " + name + ": interrupted while "
                        + coordinates(current.record) + " was processed", e);
            }
        }
    }

    /**
     * Renews the locks of the record being processed and of those waiting: {@code RENEW}, commit, then poll until the
     * consumer hands each renewed record back (it must be acknowledged in that new instance). Records the poll brings
     * besides are this consumer's now and join the waiting ones. A record that does not come back was not renewed (its
     * lock was already gone): it is no longer this consumer's, and another consumer processes it.
     */
    private void renew(Held current, Deque<ConsumerRecord<byte[], byte[]>> held) {
        Map<String, ConsumerRecord<byte[], byte[]>> waiting = new HashMap<>();
        consumer.acknowledge(current.record, AcknowledgeType.RENEW);
        for (ConsumerRecord<byte[], byte[]> record : held) {
            consumer.acknowledge(record, AcknowledgeType.RENEW);
            waiting.put(coordinates(record), record);
        }
        lockedAt = System.nanoTime();
        commit();
        String currentKey = coordinates(current.record);
        ConsumerRecord<byte[], byte[]> renewedCurrent = null;
        Map<String, ConsumerRecord<byte[], byte[]>> renewed = new HashMap<>();
        List<ConsumerRecord<byte[], byte[]>> fresh = new ArrayList<>();
        long deadline = System.nanoTime() + RENEWAL_WAIT.toNanos();
        while ((renewedCurrent == null || renewed.size() < waiting.size()) && System.nanoTime() < deadline) {
            ConsumerRecords<byte[], byte[]> records;
            try {
                records = consumer.poll(Duration.ofMillis(100));
            } catch (WakeupException e) {
                continue; // close() woke us up: the record in progress is finished first
            }
            for (ConsumerRecord<byte[], byte[]> record : records) {
                String key = coordinates(record);
                if (key.equals(currentKey)) {
                    renewedCurrent = record;
                } else if (waiting.containsKey(key)) {
                    renewed.put(key, record);
                } else {
                    fresh.add(record);
                }
            }
        }
        metrics.lockRenewed();
        if (renewedCurrent != null) {
            current.record = renewedCurrent;
        } else {
            current.lost = true;
            log.warn("share consumer {}: the lock of {} could not be renewed; another consumer gets it, and finds it "
                    + "DUPLICATE if this one commits first", name, currentKey);
        }
        held.clear();
        held.addAll(renewed.values().stream().sorted(Comparator.comparingLong(ConsumerRecord::offset)).toList());
        held.addAll(fresh);
    }

    /** Sends the acknowledgements given so far and logs those the broker refused. */
    void commit() {
        Map<TopicIdPartition, Optional<KafkaException>> results;
        try {
            results = consumer.commitSync(commitWait);
        } catch (WakeupException e) {
            results = consumer.commitSync(commitWait); // close() woke us up; the acknowledgements still go out
        }
        results.forEach((partition, error) -> error.ifPresent(e -> log.warn("share consumer {}: the broker refused "
                + "acknowledgements of {} ({}); records whose lock expired come back, to this or another consumer, and "
                + "those already committed to the database are DUPLICATE there", name, partition, e.toString())));
    }
}
