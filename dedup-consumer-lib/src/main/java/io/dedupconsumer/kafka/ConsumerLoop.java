package io.dedupconsumer.kafka;

import io.dedupconsumer.core.BatchResult;
import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.core.DatabaseUnavailableException;
import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.core.RecordProcessingException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The poll loop of a {@link DedupConsumerRunner}, confined to the runner's thread (only {@link #stop()} is called from
 * elsewhere). Each iteration: resume partitions whose pause is over, poll, process, then settle each partition —
 * wait for its dead-letter acknowledgements, mark the completed prefix for commit, seek back to the first record
 * that is not done, pause it if it waits for a retry — and commit.
 *
 * <p>The one rule: a partition's offset moves past a record only when the record's transaction committed or the
 * dead-letter topic acknowledged it. Everything else (seek back, pause, redelivery as DUPLICATE) follows from it.
 */
final class ConsumerLoop<K, V> implements ConsumerRebalanceListener {

    private static final Logger log = LoggerFactory.getLogger(DedupConsumerRunner.class);
    private static final int WAKEUP_RETRIES = 3;

    private final Consumer<byte[], byte[]> consumer;
    private final DeadLetterPublisher deadLetters;
    private final RecordDecoder<K, V> decoder;
    private final Deduplicator deduplicator;
    private final RecordHandler<K, V> handler;
    private final Collection<String> topics;
    private final ProcessingMode mode;
    private final ConflictPolicy conflictPolicy;
    private final Backoff backoff;
    private final int maxAttempts;
    private final Duration pollTimeout;
    private final Clock clock;
    private final RunnerListener listener;
    private final RunnerMetrics metrics;
    private final PartitionStates states;
    private final String name;
    /** The longest one poll's dead letters may be waited for, well below max.poll.interval.ms. */
    private final Duration deadLetterWait;

    /** Offsets ready to commit (the next record to read per partition), not yet accepted by the group. */
    private final Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
    private int outageFailures;
    private Instant outageUntil;
    private RuntimeException fatal;
    private volatile boolean closing;

    ConsumerLoop(DedupConsumerRunner.Builder<K, V> b, Deduplicator deduplicator, Consumer<byte[], byte[]> consumer,
            DeadLetterPublisher deadLetters, RecordDecoder<K, V> decoder, RunnerMetrics metrics, PartitionStates states,
            String name) {
        this.consumer = consumer;
        this.deadLetters = deadLetters;
        this.decoder = decoder;
        this.deduplicator = deduplicator;
        this.handler = b.handler;
        this.topics = List.copyOf(b.topics);
        this.mode = b.mode;
        this.conflictPolicy = b.conflictPolicy;
        this.backoff = b.backoff;
        this.maxAttempts = b.maxAttempts;
        this.pollTimeout = b.pollTimeout;
        this.clock = b.clock;
        this.listener = b.listener;
        this.metrics = metrics;
        this.states = states;
        this.name = name;
        this.deadLetterWait = DeadLetterBudget.of(b.consumerProperties).perStep();
    }

    /** Polls and processes until {@link #stop()} or a fatal conflict; commits what is done before returning. */
    void run() {
        consumer.subscribe(topics, this);
        try {
            while (!closing && fatal == null) {
                resumeDue();
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(pollDuration());
                } catch (WakeupException e) {
                    continue; // close() woke us up; the loop condition decides
                }
                if (!records.isEmpty()) {
                    settle(mode == ProcessingMode.RECORD ? processRecords(records) : processBatch(records));
                }
                commitPending();
            }
        } finally {
            // Normally nothing is left (each iteration commits); after a deferred commit or a failing poll, try once more.
            try {
                commitPending();
            } catch (RuntimeException e) {
                log.warn("consumer {}: final offset commit failed; those records are redone as DUPLICATE: {}", name,
                        e.toString());
            }
        }
    }

    /** Asks the loop to finish its in-flight work, commit and return. Safe from any thread, any number of times. */
    void stop() {
        closing = true;
        try {
            consumer.wakeup();
        } catch (RuntimeException e) {
            log.debug("consumer {}: wakeup after close: {}", name, e.toString());
        }
    }

    /** The reason the loop stopped by itself (a conflict under {@link ConflictPolicy#FAIL}), or {@code null}. */
    RuntimeException fatal() {
        return fatal;
    }

    // ---------------------------------------------------------------------------------------------- processing

    private Map<TopicPartition, Progress> processRecords(ConsumerRecords<byte[], byte[]> records) {
        Map<TopicPartition, Progress> progress = new LinkedHashMap<>();
        boolean outage = false;
        for (TopicPartition partition : records.partitions()) {
            Progress p = new Progress(partition);
            progress.put(partition, p);
            for (ConsumerRecord<byte[], byte[]> raw : records.records(partition)) {
                if (outage || closing || fatal != null || p.blocked) {
                    p.stopAt(raw.offset());
                    break;
                }
                RecordDecoder.Decoded<K, V> decoded = decoder.decode(raw);
                if (decoded.failure() != null) {
                    undeserializable(p, raw, decoded);
                    continue;
                }
                DedupResult result;
                try {
                    result = deduplicator.process(decoded.record(), handler);
                } catch (DatabaseUnavailableException e) {
                    if (e.reason() == DatabaseUnavailableException.Reason.TIMED_OUT) {
                        databaseAvailable(); // it answered: this record's rows are locked, the others may not be
                        p.retryAt(raw.offset(), afterTimeout(raw, e));
                        break;
                    }
                    outage(e);
                    outage = true;
                    p.stopAt(raw.offset());
                    break;
                } catch (RecordProcessingException e) {
                    databaseAvailable(); // it answered, with an error of this record
                    Instant next = nextAttempt(raw, e);
                    if (next == null) {
                        gaveUp(p, raw, e);
                        continue;
                    }
                    p.retryAt(raw.offset(), next);
                    break;
                }
                databaseAvailable();
                afterDatabaseCommit(List.of(decoded.record()), List.of(result));
                if (!accept(p, raw, result)) {
                    break;
                }
            }
        }
        return progress;
    }

    private Map<TopicPartition, Progress> processBatch(ConsumerRecords<byte[], byte[]> records) {
        Map<TopicPartition, List<Slot<K, V>>> byPartition = new LinkedHashMap<>();
        List<Slot<K, V>> work = new ArrayList<>(records.count());
        for (TopicPartition partition : records.partitions()) {
            List<Slot<K, V>> slots = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> raw : records.records(partition)) {
                Slot<K, V> slot = new Slot<>(raw, decoder.decode(raw));
                slots.add(slot);
                if (slot.decoded.failure() == null) {
                    work.add(slot);
                }
            }
            byPartition.put(partition, slots);
        }
        // One transaction for the poll; after a failure, the rest of the poll in another, without the partition
        // that waits for a retry.
        while (!work.isEmpty()) {
            List<ConsumerRecord<K, V>> batch = new ArrayList<>(work.size());
            for (Slot<K, V> slot : work) {
                batch.add(slot.decoded.record());
            }
            BatchResult result = deduplicator.processBatch(batch, handler);
            List<DedupResult> results = result.results();
            for (int i = 0; i < results.size(); i++) {
                work.get(i).result = results.get(i);
            }
            if (!results.isEmpty()) {
                databaseAvailable();
                afterDatabaseCommit(batch.subList(0, results.size()), results);
            }
            if (result.complete()) {
                break;
            }
            Slot<K, V> failed = work.get(result.failedIndex());
            List<Slot<K, V>> rest = new ArrayList<>(work.subList(result.failedIndex() + 1, work.size()));
            if (result.failure() instanceof DatabaseUnavailableException e
                    && e.reason() != DatabaseUnavailableException.Reason.TIMED_OUT) {
                outage(e);
                break;
            }
            databaseAvailable(); // it answered, with an error of this record (or a timeout on its locked rows)
            if (result.failure() instanceof DatabaseUnavailableException timedOut) {
                failed.retryAt = afterTimeout(failed.raw, timedOut);
            } else {
                RecordProcessingException e = (RecordProcessingException) result.failure();
                failed.retryAt = nextAttempt(failed.raw, e);
                failed.gaveUp = failed.retryAt == null ? e : null;
            }
            if (failed.retryAt != null) {
                TopicPartition partition = partition(failed.raw);
                rest.removeIf(slot -> partition(slot.raw).equals(partition));
            }
            work = rest;
        }
        Map<TopicPartition, Progress> progress = new LinkedHashMap<>();
        byPartition.forEach((partition, slots) -> {
            Progress p = new Progress(partition);
            progress.put(partition, p);
            for (Slot<K, V> slot : slots) {
                if (p.blocked) {
                    p.stopAt(slot.raw.offset());
                    break;
                }
                if (slot.decoded.failure() != null) {
                    undeserializable(p, slot.raw, slot.decoded);
                } else if (slot.result != null) {
                    if (!accept(p, slot.raw, slot.result)) {
                        break;
                    }
                } else if (slot.gaveUp != null) {
                    gaveUp(p, slot.raw, slot.gaveUp);
                } else {
                    // Not done: waits for a retry, the database, or a partition that came earlier in the poll.
                    if (slot.retryAt != null) {
                        p.retryAt(slot.raw.offset(), slot.retryAt);
                    } else {
                        p.stopAt(slot.raw.offset());
                    }
                    break;
                }
            }
        });
        return progress;
    }

    /** Applies a record's outcome; returns {@code false} when the partition must stop at this record. */
    private boolean accept(Progress p, ConsumerRecord<byte[], byte[]> raw, DedupResult result) {
        switch (result.outcome()) {
            case INVALID -> p.deadLetter(raw, DeadLetterReason.INVALID, result.reason(), result.dedupKey(), null, false);
            case CONFLICT -> {
                if (conflictPolicy == ConflictPolicy.FAIL) {
                    if (fatal == null) {
                        fatal = new IllegalStateException("consumer " + name + " stopped: " + coordinates(raw) + " is a "
                                + "CONFLICT (" + result.reason() + ") and the conflict policy is FAIL; its offset is not "
                                + "committed. Resolve the conflict, then restart (or use ConflictPolicy.DEAD_LETTER)");
                        log.error(fatal.getMessage());
                    }
                    p.stopAt(raw.offset());
                    return false;
                }
                p.deadLetter(raw, DeadLetterReason.CONFLICT, result.reason(), result.dedupKey(), null, false);
            }
            default -> p.done(raw);
        }
        return true;
    }

    private void undeserializable(Progress p, ConsumerRecord<byte[], byte[]> raw, RecordDecoder.Decoded<K, V> decoded) {
        deduplicator.invalid(raw, decoded.reason()); // counted as every integration counts it
        log.warn("consumer {}: {}: {}; dead-lettering it", name, coordinates(raw), decoded.reason());
        p.deadLetter(raw, DeadLetterReason.INVALID, decoded.reason(), null, decoded.failure(), decoded.keyFailed());
    }

    private void gaveUp(Progress p, ConsumerRecord<byte[], byte[]> raw, RecordProcessingException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        log.error("consumer {}: {} failed {} times; dead-lettering it. Last failure: {}", name, coordinates(raw),
                maxAttempts, cause.toString(), cause);
        p.deadLetter(raw, DeadLetterReason.FAILED, "processing failed " + maxAttempts + " times; last failure: " + cause,
                null, cause, false);
    }

    /** Counts a record's failure; returns when to try it again, or {@code null} when its attempts are used up. */
    private Instant nextAttempt(ConsumerRecord<byte[], byte[]> raw, RecordProcessingException e) {
        int attempt = states.failed(partition(raw), raw.offset());
        if (attempt >= maxAttempts) {
            return null;
        }
        Duration delay = backoff.delay(attempt);
        metrics.recordRetry();
        log.warn("consumer {}: {} failed (attempt {} of {}); its partition pauses for {} ms, the others go on: {}",
                name, coordinates(raw), attempt, maxAttempts, delay.toMillis(),
                e.getCause() != null ? e.getCause().toString() : e.toString());
        return clock.instant().plus(delay);
    }

    /**
     * A record's transaction outlasted the transaction timeout on a lock or a statement: retried after a backoff,
     * without end and never dead-lettered (the rows it waits for are another transaction's, not its fault), while its
     * partition pauses and the others go on.
     */
    private Instant afterTimeout(ConsumerRecord<byte[], byte[]> raw, DatabaseUnavailableException e) {
        int attempt = states.timedOut(partition(raw), raw.offset());
        Duration delay = backoff.delay(attempt);
        metrics.timeoutRetry();
        log.warn("consumer {}: {} timed out waiting for a lock or a statement ({} times in a row); its partition pauses "
                + "for {} ms and retries it, the others go on; it is never dead-lettered for this: {}", name,
                coordinates(raw), attempt, delay.toMillis(), e.getMessage());
        return clock.instant().plus(delay);
    }

    private void outage(DatabaseUnavailableException e) {
        outageFailures++;
        Duration delay = backoff.delay(outageFailures);
        metrics.databaseRetry();
        if (e.reason() == DatabaseUnavailableException.Reason.REFUSED) {
            log.error("consumer {}: the database refuses the consumer's work (attempt {}); every partition pauses for {} "
                    + "ms, nothing is dead-lettered and nothing committed past the last database commit until it is "
                    + "fixed: {}", name, outageFailures, delay.toMillis(), e.getMessage());
        } else {
            log.warn("consumer {}: the database is unavailable (attempt {}); every partition pauses for {} ms and nothing "
                    + "is committed past the last database commit: {}", name, outageFailures, delay.toMillis(),
                    e.getCause() != null ? e.getCause().toString() : e.toString());
        }
        outageUntil = clock.instant().plus(delay);
    }

    private void databaseAvailable() {
        if (outageFailures > 0) {
            log.info("consumer {}: the database is back after {} failed attempts", name, outageFailures);
            outageFailures = 0;
        }
    }

    // ---------------------------------------------------------------------------------------------- settling

    /**
     * Per partition: waits for the dead-letter acknowledgements in offset order, marks everything up to the first
     * record that is not done for commit, seeks back to that record and pauses the partition if it waits.
     */
    private void settle(Map<TopicPartition, Progress> progress) {
        long deadline = System.nanoTime() + deadLetterWait.toNanos();
        for (Progress p : progress.values()) {
            long next = -1;
            Optional<Integer> leaderEpoch = Optional.empty();
            long stop = p.stopOffset;
            Instant pauseUntil = p.pauseUntil;
            for (Step step : p.steps) {
                if (step.deadLetter != null && !acknowledged(step, deadline)) {
                    stop = step.raw.offset();
                    pauseUntil = clock.instant().plus(backoff.delay(states.failed(p.partition, stop)));
                    break;
                }
                next = step.raw.offset() + 1;
                leaderEpoch = step.raw.leaderEpoch();
            }
            if (next >= 0) {
                pending.put(p.partition, new OffsetAndMetadata(next, leaderEpoch, ""));
                states.doneBefore(p.partition, next);
            }
            if (stop >= 0) {
                consumer.seek(p.partition, stop);
            }
            if (pauseUntil != null) {
                pause(p.partition, pauseUntil);
            }
        }
        if (outageUntil != null) {
            for (TopicPartition partition : consumer.assignment()) {
                pause(partition, outageUntil);
            }
            outageUntil = null;
        }
    }

    private boolean acknowledged(Step step, long deadline) {
        try {
            step.deadLetter.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            metrics.deadLetterFailed();
            log.error("consumer {}: the dead-letter topic did not take {} ({}); its offset is not committed and the "
                    + "record is tried again after a pause: {}", name, coordinates(step.raw), step.reason,
                    e.getCause().toString());
            return false;
        } catch (TimeoutException e) {
            metrics.deadLetterFailed();
            log.error("consumer {}: the dead-letter topic did not acknowledge {} ({}) within {} ms, a fifth of "
                    + "max.poll.interval.ms; its offset is not committed and the record is tried again after a pause "
                    + "(the late send may still arrive: dead letters are at least once)", name, coordinates(step.raw),
                    step.reason, deadLetterWait.toMillis());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("consumer {}: interrupted while waiting for the dead-letter topic; {} is not committed", name,
                    coordinates(step.raw));
            return false;
        }
        metrics.deadLettered(step.reason);
        log.warn("consumer {}: {} dead-lettered as {}", name, coordinates(step.raw), step.reason);
        try {
            listener.afterDeadLetter(step.raw, step.reason);
        } catch (RuntimeException e) {
            log.warn("consumer {}: RunnerListener.afterDeadLetter failed; ignored", name, e);
        }
        return true;
    }

    private void pause(TopicPartition partition, Instant until) {
        if (consumer.assignment().contains(partition)) {
            consumer.pause(List.of(partition));
            states.pause(partition, until);
        }
    }

    private void resumeDue() {
        List<TopicPartition> due = states.due(clock.instant());
        if (!due.isEmpty()) {
            due.retainAll(consumer.assignment());
            consumer.resume(due);
            log.debug("consumer {}: resumed {}", name, due);
        }
    }

    private Duration pollDuration() {
        Optional<Instant> next = states.nextResume();
        if (next.isEmpty()) {
            return pollTimeout;
        }
        long millis = Duration.between(clock.instant(), next.get()).toMillis();
        return Duration.ofMillis(Math.max(0, Math.min(millis, pollTimeout.toMillis())));
    }

    // ---------------------------------------------------------------------------------------------- committing

    private void commitPending() {
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

    private void afterDatabaseCommit(List<? extends ConsumerRecord<?, ?>> records, List<DedupResult> results) {
        try {
            listener.afterDatabaseCommit(records, results);
        } catch (RuntimeException e) {
            log.warn("consumer {}: RunnerListener.afterDatabaseCommit failed; ignored", name, e);
        }
    }

    // ---------------------------------------------------------------------------------------------- rebalancing

    /** Commits what is done in the partitions leaving this consumer and forgets their retries and pauses. */
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
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
        states.forget(partitions);
        if (!partitions.isEmpty()) {
            log.info("consumer {}: partitions revoked {}", name, partitions);
        }
    }

    /** The partitions already belong to another consumer: commit nothing, forget them. */
    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        pending.keySet().removeAll(partitions);
        states.forget(partitions);
        log.warn("consumer {}: partitions lost {}; nothing committed for them, their new owner redoes the "
                + "uncommitted records as DUPLICATE", name, partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        if (!partitions.isEmpty()) {
            log.info("consumer {}: partitions assigned {}", name, partitions);
        }
    }

    // ---------------------------------------------------------------------------------------------- bookkeeping

    private static TopicPartition partition(ConsumerRecord<?, ?> record) {
        return new TopicPartition(record.topic(), record.partition());
    }

    private static String coordinates(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }

    /** What became of one partition's records in one poll: the completed prefix, and where it stopped. */
    private final class Progress {
        final TopicPartition partition;
        final List<Step> steps = new ArrayList<>();
        long stopOffset = -1;
        Instant pauseUntil;
        /** A dead-letter send failed at once: nothing after it can be committed in this poll, so stop sending. */
        boolean blocked;

        Progress(TopicPartition partition) {
            this.partition = partition;
        }

        void done(ConsumerRecord<byte[], byte[]> raw) {
            steps.add(new Step(raw, null, null));
        }

        void deadLetter(ConsumerRecord<byte[], byte[]> raw, DeadLetterReason reason, String explanation, String dedupKey,
                Throwable failure, boolean keyFailure) {
            Future<RecordMetadata> sent = deadLetters.publish(raw, reason, explanation, dedupKey, failure, keyFailure);
            steps.add(new Step(raw, sent, reason));
            if (sent.isDone()) {
                try {
                    sent.get();
                } catch (ExecutionException | InterruptedException e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    blocked = true;
                }
            }
        }

        void stopAt(long offset) {
            stopOffset = offset;
        }

        void retryAt(long offset, Instant when) {
            stopOffset = offset;
            pauseUntil = when;
        }
    }

    /** A completed record; a dead-lettered one completes when its send is acknowledged. */
    private record Step(ConsumerRecord<byte[], byte[]> raw, Future<RecordMetadata> deadLetter, DeadLetterReason reason) {
    }

    /** A polled record on its way through a batch. */
    private static final class Slot<K, V> {
        final ConsumerRecord<byte[], byte[]> raw;
        final RecordDecoder.Decoded<K, V> decoded;
        DedupResult result;
        Instant retryAt;
        RecordProcessingException gaveUp;

        Slot(ConsumerRecord<byte[], byte[]> raw, RecordDecoder.Decoded<K, V> decoded) {
            this.raw = raw;
            this.decoded = decoded;
        }
    }
}
