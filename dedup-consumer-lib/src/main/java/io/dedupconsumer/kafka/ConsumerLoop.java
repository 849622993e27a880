package io.dedupconsumer.kafka;

import static io.dedupconsumer.kafka.RetrySchedule.coordinates;

import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.core.Deduplicator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The poll loop of a {@link DedupConsumerRunner}, confined to the runner's thread (only {@link #stop()} is called from
 * elsewhere). Each iteration reads poll → process ({@link PollProcessor}) → settle → commit ({@link OffsetCommitter}):
 * resume the partitions whose pause is over, poll, process, then settle each partition — wait for its dead-letter
 * acknowledgements, stage its {@linkplain PartitionProgress#committableOffset() committable offset}, seek back to the
 * first record that is not done, pause the partition if it waits for a retry — and commit.
 *
 * <p>The one rule: a partition's offset moves past a record only when the record's transaction committed or the
 * dead-letter topic acknowledged it. Everything else (seek back, pause, redelivery as DUPLICATE) follows from it.
 */
final class ConsumerLoop<K, V> implements ConsumerRebalanceListener {

    private static final Logger log = LoggerFactory.getLogger(DedupConsumerRunner.class);

    private final Consumer<byte[], byte[]> consumer;
    private final PollProcessor<K, V> processor;
    private final OffsetCommitter committer;
    private final RetrySchedule retries;
    private final Collection<String> topics;
    private final ProcessingMode mode;
    private final Duration pollTimeout;
    private final Clock clock;
    private final RunnerListener listener;
    private final RunnerMetrics metrics;
    private final PartitionStates states;
    private final String name;
    /** The longest one poll's dead letters may be waited for, well below max.poll.interval.ms. */
    private final Duration deadLetterWait;
    private volatile boolean closing;

    ConsumerLoop(DedupConsumerRunner.Builder<K, V> b, Deduplicator deduplicator, Consumer<byte[], byte[]> consumer,
            DeadLetterPublisher deadLetters, RecordDecoder<K, V> decoder, RunnerMetrics metrics, PartitionStates states,
            String name) {
        this.consumer = consumer;
        this.topics = List.copyOf(b.topics);
        this.mode = b.mode;
        this.pollTimeout = b.pollTimeout;
        this.clock = b.clock;
        this.listener = b.listener;
        this.metrics = metrics;
        this.states = states;
        this.name = name;
        this.deadLetterWait = DeadLetterBudget.of(b.consumerProperties).perStep();
        this.retries = new RetrySchedule(states, b.backoff, b.maxAttempts, b.clock, metrics, name);
        this.committer = new OffsetCommitter(consumer, b.listener, metrics, name);
        this.processor = new PollProcessor<>(deduplicator, b.handler, b.batchHandler, decoder, deadLetters, b.conflictPolicy,
                retries, b.listener, () -> closing, name);
    }

    /** Polls and processes until {@link #stop()} or a fatal conflict; commits what is done before returning. */
    void run() {
        consumer.subscribe(topics, this);
        try {
            while (!closing && processor.fatal() == null) {
                resumeDue();
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(pollDuration());
                } catch (WakeupException e) {
                    continue; // close() woke us up; the loop condition decides
                }
                if (!records.isEmpty()) {
                    settle(mode == ProcessingMode.RECORD ? processor.processRecords(records)
                            : processor.processBatch(records));
                }
                committer.commit();
            }
        } finally {
            // Normally nothing is left (each iteration commits); after a deferred commit or a failing poll, try once more.
            try {
                committer.commit();
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
    @Nullable RuntimeException fatal() {
        return processor.fatal();
    }

    // ---------------------------------------------------------------------------------------------- settling

    /**
     * Per partition: waits for the dead-letter acknowledgements in offset order, stages everything up to the first
     * record that is not done for commit, seeks back to that record and pauses the partition if it waits.
     */
    private void settle(Map<TopicPartition, PartitionProgress> progress) {
        long deadline = System.nanoTime() + deadLetterWait.toNanos();
        for (PartitionProgress p : progress.values()) {
            p.settle(sent -> acknowledged(sent, deadline)).ifPresent(failed ->
                    p.retryAt(failed, retries.afterDeadLetterFailure(p.partition(), failed)));
            p.committableOffset().ifPresent(offset -> {
                committer.stage(p.partition(), offset);
                states.doneBefore(p.partition(), offset.offset());
            });
            p.seekOffset().ifPresent(offset -> consumer.seek(p.partition(), offset));
            p.pauseUntil().ifPresent(until -> pause(p.partition(), until));
        }
        retries.takeOutagePause().ifPresent(until -> {
            for (TopicPartition partition : consumer.assignment()) {
                pause(partition, until);
            }
        });
    }

    private boolean acknowledged(RecordState.DeadLetterSent sent, long deadline) {
        try {
            sent.send().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            metrics.deadLetterFailed();
            log.error("consumer {}: the dead-letter topic did not take {} ({}); its offset is not committed and the "
                    + "record is tried again after a pause: {}", name, coordinates(sent.raw()), sent.reason(),
                    e.getCause().toString());
            return false;
        } catch (TimeoutException e) {
            metrics.deadLetterFailed();
            log.error("consumer {}: the dead-letter topic did not acknowledge {} ({}) within {} ms, a fifth of "
                    + "max.poll.interval.ms; its offset is not committed and the record is tried again after a pause "
                    + "(the late send may still arrive: dead letters are at least once)", name, coordinates(sent.raw()),
                    sent.reason(), deadLetterWait.toMillis());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("consumer {}: interrupted while waiting for the dead-letter topic; {} is not committed", name,
                    coordinates(sent.raw()));
            return false;
        }
        metrics.deadLettered(sent.reason());
        log.warn("consumer {}: {} dead-lettered as {}", name, coordinates(sent.raw()), sent.reason());
        try {
            listener.afterDeadLetter(sent.raw(), sent.reason());
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

    // ---------------------------------------------------------------------------------------------- rebalancing

    /** Commits what is done in the partitions leaving this consumer and forgets their retries and pauses. */
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        committer.revoked(partitions);
        states.forget(partitions);
        if (!partitions.isEmpty()) {
            log.info("consumer {}: partitions revoked {}", name, partitions);
        }
    }

    /** The partitions already belong to another consumer: commit nothing, forget them. */
    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        committer.lost(partitions);
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
}
