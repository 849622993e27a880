package io.dedupconsumer.kafka;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;

/**
 * Per-partition retry bookkeeping of the runner thread: how often the record at a partition's head has failed, and
 * until when the partition stays paused. Only the paused count is read from other threads (the gauge).
 */
final class PartitionStates {

    private final Map<TopicPartition, Attempts> attempts = new HashMap<>();
    /** Timeouts on locked rows, counted apart: they never use up a record's attempts. */
    private final Map<TopicPartition, Attempts> timeouts = new HashMap<>();
    private final Map<TopicPartition, Instant> pausedUntil = new HashMap<>();
    private final AtomicInteger paused = new AtomicInteger();

    /** Counts a failure of the record at {@code offset}; returns how many times in a row it has failed. */
    int failed(TopicPartition partition, long offset) {
        return count(attempts, partition, offset);
    }

    /** Counts a timeout of the record at {@code offset}; returns how many times in a row it has timed out. */
    int timedOut(TopicPartition partition, long offset) {
        return count(timeouts, partition, offset);
    }

    private static int count(Map<TopicPartition, Attempts> counts, TopicPartition partition, long offset) {
        Attempts previous = counts.get(partition);
        int count = previous != null && previous.offset == offset ? previous.count + 1 : 1;
        counts.put(partition, new Attempts(offset, count));
        return count;
    }

    /** Forgets the failures and timeouts of records before {@code nextOffset}: they are done. */
    void doneBefore(TopicPartition partition, long nextOffset) {
        for (Map<TopicPartition, Attempts> counts : List.of(attempts, timeouts)) {
            Attempts previous = counts.get(partition);
            if (previous != null && previous.offset < nextOffset) {
                counts.remove(partition);
            }
        }
    }

    /** Keeps the partition paused until {@code until} (or later, if it already was). */
    void pause(TopicPartition partition, Instant until) {
        pausedUntil.merge(partition, until, (a, b) -> a.isAfter(b) ? a : b);
        paused.set(pausedUntil.size());
    }

    /** Removes and returns the partitions whose pause is over. */
    List<TopicPartition> due(Instant now) {
        List<TopicPartition> due = new ArrayList<>();
        for (Iterator<Map.Entry<TopicPartition, Instant>> it = pausedUntil.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<TopicPartition, Instant> entry = it.next();
            if (!entry.getValue().isAfter(now)) {
                due.add(entry.getKey());
                it.remove();
            }
        }
        paused.set(pausedUntil.size());
        return due;
    }

    /** The earliest end of a pause, if a partition is paused. */
    Optional<Instant> nextResume() {
        return pausedUntil.values().stream().min(Instant::compareTo);
    }

    /** Forgets everything about partitions that are no longer assigned. */
    void forget(Collection<TopicPartition> partitions) {
        attempts.keySet().removeAll(partitions);
        timeouts.keySet().removeAll(partitions);
        pausedUntil.keySet().removeAll(partitions);
        paused.set(pausedUntil.size());
    }

    /** The number of paused partitions; safe to read from any thread. */
    int pausedCount() {
        return paused.get();
    }

    private record Attempts(long offset, int count) {
    }
}
