package io.dedupconsumer.kafka;

import static io.dedupconsumer.kafka.RetrySchedule.coordinates;

import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.core.DatabaseUnavailableException;
import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.InvalidSettingException;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.core.RecordProcessingException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KafkaShareConsumer} (a share group, KIP-932 "queues for Kafka", production-ready in Kafka 4.2) whose
 * database side effects happen exactly once. A share group hands the records of one partition to many consumers at
 * once and redelivers a record whose acquisition lock expired or that was released, often to another consumer while
 * the first may still be running its handler; there are no offsets to commit after the database and no transactions
 * to lean on. The claim in the effect's transaction is what makes that safe: a redelivery is {@code DUPLICATE}, and two
 * consumers holding one record race on the dedup table's unique index, so exactly one effect commits.
 *
 * <p>Per record, with explicit acknowledgement ({@code share.acknowledgement.mode=explicit} is forced):
 * <ul>
 *   <li>claim and handler in one database transaction ({@link Deduplicator#process}); {@code ACCEPT} only after it
 *       committed. A {@code DUPLICATE} is accepted without running the handler.</li>
 *   <li>a {@code CONFLICT} (under {@link ConflictPolicy#DEAD_LETTER}) or an {@code INVALID} record (undeserializable,
 *       no usable dedup key) is sent to the library's dead-letter topic ({@link DeadLetter}: the original bytes and the
 *       reason headers, the same contract as {@link DedupConsumerRunner}) and {@code ACCEPT}ed once the dead-letter
 *       topic acknowledged it. <b>Why not {@code REJECT}</b>: a 4.2 broker archives a rejected record, it keeps neither
 *       its bytes nor the reason, and nobody can find it again (the broker's own share-group dead-letter queue is
 *       KIP-1191, Kafka 4.4). A dead-letter send that fails {@code RELEASE}s the record for a later attempt.</li>
 *   <li>a transient failure (the handler or the database failed the record) {@code RELEASE}s it, and the runner backs
 *       off before its next poll; on the record's {@linkplain Builder#maxAttempts(int) last attempt}, counted by the
 *       broker's delivery count ({@link ConsumerRecord#deliveryCount()}), it is dead-lettered ({@code FAILED}) and
 *       accepted instead.</li>
 *   <li>an unavailable database is never the record's failure: nothing is dead-lettered or rejected. The record and
 *       those behind it are held, their locks renewed, while the database is probed with capped backoff, and the
 *       record is processed again, on the same delivery, when it answers: every release would spend a delivery, and
 *       the broker archives a record after {@code group.share.delivery.count.limit} of them. Past
 *       {@link Builder#maxLockRenewal(Duration)} they are released, and the runner waits for the database without
 *       polling.</li>
 *   <li>a handler that runs longer than half the lock duration keeps its record: the locks of the record and of those
 *       waiting behind it are renewed ({@code RENEW}) every half lock duration, up to
 *       {@link Builder#maxLockRenewal(Duration)}; a handler stuck beyond that lets them expire, so that a hung consumer
 *       cannot hold records forever (another consumer takes them, and finds them {@code DUPLICATE} if the first one
 *       commits after all).</li>
 *   <li>a record whose rows another transaction holds past the deduplicator's transaction timeout (typically a
 *       second consumer holding the same record) is released and comes back, where it is {@code DUPLICATE} once the
 *       other transaction committed; it is never dead-lettered for that.</li>
 * </ul>
 *
 * <p>What the broker decides and the runner cannot: a record is archived (skipped for good, without a dead letter)
 * once it was delivered {@code group.share.delivery.count.limit} times (5 by default); {@link Builder#maxAttempts(int)}
 * must therefore stay at or below that limit. An
 * acceptance the broker refuses (the lock expired, another consumer holds the record now) is logged; the record comes
 * back, and is {@code DUPLICATE} there. Ordering is not kept: records of one partition are processed concurrently by the
 * group's consumers.
 *
 * <p>Run it on a thread of your own and call {@link #close()} from another thread to stop. The transactions run on a
 * handler thread of the runner, so that its own thread can renew locks meanwhile. One runner is one consumer; run
 * several (each on its thread, sharing one {@link Deduplicator}), more than the topic has partitions if you like.
 * docs/share-groups.md says what the broker does and which settings matter.
 *
 * @param <K> the record key type, as the key deserializer produces it
 * @param <V> the record value type, as the value deserializer produces it
 */
public final class DedupShareConsumerRunner<K, V> implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DedupShareConsumerRunner.class);
    private static final AtomicInteger RUNNERS = new AtomicInteger();
    private static final String ACKNOWLEDGEMENT_MODE = "share.acknowledgement.mode";
    /** How long a renewal waits for the consumer to hand the renewed records back. */
    private static final Duration RENEWAL_WAIT = Duration.ofSeconds(2);

    private final KafkaShareConsumer<byte[], byte[]> consumer;
    private final DeadLetterPublisher deadLetters;
    private final RecordDecoder<K, V> decoder;
    private final RunnerMetrics metrics;
    private final Deduplicator deduplicator;
    private final RecordHandler<K, V> handler;
    private final ConflictPolicy conflictPolicy;
    private final Backoff backoff;
    private final int maxAttempts;
    private final RunnerListener listener;
    private final List<String> topics;
    private final Duration pollTimeout;
    private final Duration shutdownTimeout;
    private final Duration deadLetterWait;
    private final String name;
    private final AtomicBoolean started = new AtomicBoolean();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile @Nullable Thread thread;
    private final Duration maxLockRenewal;
    private final ExecutorService handlerThread;
    /** When the locks of the records held were last acquired or renewed ({@link System#nanoTime()}). */
    private long lockedAt;
    private volatile @Nullable RuntimeException fatal;

    private DedupShareConsumerRunner(Builder<K, V> b) {
        Map<String, Object> consumerProperties = new HashMap<>(b.consumerProperties);
        consumerProperties.put(ACKNOWLEDGEMENT_MODE, "explicit");
        this.deduplicator = Objects.requireNonNull(b.deduplicator, "deduplicator")
                .forPollInterval(DeadLetterBudget.maxPollInterval(consumerProperties));
        this.handler = Objects.requireNonNull(b.handler, "handler");
        String group = String.valueOf(consumerProperties.get(ConsumerConfig.GROUP_ID_CONFIG));
        String runnerId = group + "-share-" + RUNNERS.incrementAndGet();
        Map<String, Object> producerProperties = b.producerProperties != null ? new HashMap<>(b.producerProperties)
                : DedupConsumerRunner.deadLetterProducerProperties(consumerProperties, runnerId);
        DeadLetterBudget budget = DeadLetterBudget.of(consumerProperties);
        producerProperties.putAll(budget.producerTimeouts());
        this.deadLetterWait = budget.perStep();
        this.name = group;
        this.conflictPolicy = b.conflictPolicy;
        this.backoff = b.backoff;
        this.maxAttempts = b.maxAttempts;
        this.listener = b.listener;
        this.topics = List.copyOf(b.topics);
        this.pollTimeout = b.pollTimeout;
        this.shutdownTimeout = b.shutdownTimeout;
        this.maxLockRenewal = b.maxLockRenewal != null ? b.maxLockRenewal
                : DeadLetterBudget.maxPollInterval(consumerProperties);
        this.handlerThread = Executors.newSingleThreadExecutor(task -> {
            Thread t = new Thread(task, "dedup-share-handler-" + runnerId);
            t.setDaemon(true);
            return t;
        });
        this.decoder = new RecordDecoder<>(b.keyDeserializer, b.valueDeserializer);
        this.consumer = new KafkaShareConsumer<>(consumerProperties, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        try {
            this.deadLetters = new DeadLetterPublisher(
                    new KafkaProducer<>(producerProperties, new ByteArraySerializer(), new ByteArraySerializer()),
                    b.deadLetterTopic, group);
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
        this.metrics = new RunnerMetrics(b.meterRegistry, deduplicator.consumerName(), runnerId, null);
        log.info("share consumer {}: runner built for topics {}, {} on conflict, {} attempts, transactions bounded by {} "
                + "ms; consumer settings {}, dead-letter producer settings {}", group, topics, conflictPolicy,
                maxAttempts, deduplicator.transactionTimeout().toMillis(), new TreeSet<>(consumerProperties.keySet()),
                new TreeSet<>(producerProperties.keySet()));
    }

    /**
     * Starts configuring a share runner.
     *
     * @param keyDeserializer turns the record key bytes into {@code K}; applied per record by the runner, so that a key
     *     that does not deserialize is dead-lettered with its original bytes. Closed with the runner.
     * @param valueDeserializer the same for the value
     * @throws IllegalArgumentException when a deserializer is {@code null}
     */
    public static <K, V> Builder<K, V> builder(Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        return new Builder<>(keyDeserializer, valueDeserializer);
    }

    /**
     * Subscribes and processes records until {@link #close()} is called from another thread; then commits the pending
     * acknowledgements and closes the consumer (which releases what it still holds) and the dead-letter producer. Call
     * it once.
     *
     * @throws IllegalStateException when called a second time or after {@link #close()}, when the database refuses the
     *     dedup table's work ({@link Deduplicator#checkDatabase()}), or when a {@code CONFLICT} stopped the runner under
     *     {@link ConflictPolicy#FAIL} (the conflicting record was released, not accepted)
     * @throws KafkaException when the consumer fails for good (authorization, share groups not enabled, ...)
     */
    @Override
    public void run() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("share consumer " + name + ": run() was already called or the runner was "
                    + "closed; build a new runner");
        }
        thread = Thread.currentThread();
        try {
            try {
                deduplicator.checkDatabase();
            } catch (DatabaseUnavailableException e) {
                log.warn("share consumer {}: {}; starting all the same, the runner waits for the database like for any "
                        + "outage", name, e.getMessage());
            }
            consumer.subscribe(topics);
            while (stopping.getCount() > 0 && fatal == null) {
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(pollTimeout);
                } catch (WakeupException e) {
                    continue; // close() woke us up; the loop condition decides
                }
                if (!records.isEmpty()) {
                    settle(process(records));
                }
            }
        } finally {
            closeClients();
            stopped.countDown();
        }
        if (fatal != null) {
            throw fatal;
        }
    }

    /**
     * Stops the runner gracefully: wakes the consumer up, lets the in-flight record finish, commits the
     * acknowledgements and closes the clients. Waits up to the {@linkplain Builder#shutdownTimeout(Duration) shutdown
     * timeout}, unless called from the runner's own thread (a handler or listener), where it only asks. Idempotent.
     */
    @Override
    public void close() {
        stopping.countDown();
        try {
            consumer.wakeup();
        } catch (RuntimeException e) {
            log.debug("share consumer {}: wakeup after close: {}", name, e.toString());
        }
        if (started.compareAndSet(false, true)) {
            closeClients(); // never ran
            stopped.countDown();
            return;
        }
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            if (!stopped.await(shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("share consumer {}: the runner did not stop within {} ms (a handler still running?)", name,
                        shutdownTimeout.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------------------------------------- one poll

    /** What one poll amounted to: whether the database was unavailable, and the longest backoff a failure asks for. */
    private record PollOutcome(boolean outage, Duration backoff) {
    }

    /**
     * How one record ends: its acknowledgement, whether the database was unavailable, and the pause a failure asks
     * for before the next poll.
     */
    private record Decision(AcknowledgeType type, boolean outage, Duration pause) {
    }

    /**
     * Processes and acknowledges every record of the poll (explicit mode: all of them, before the next poll), one at a
     * time on the handler thread while this thread renews the locks of the records it holds.
     */
    private PollOutcome process(ConsumerRecords<byte[], byte[]> records) {
        Deque<ConsumerRecord<byte[], byte[]>> held = new ArrayDeque<>();
        records.forEach(held::add);
        lockedAt = System.nanoTime();
        boolean outage = false;
        Duration pause = Duration.ZERO;
        for (ConsumerRecord<byte[], byte[]> raw = held.poll(); raw != null; raw = held.poll()) {
            if (outage || fatal != null || stopping.getCount() == 0) {
                consumer.acknowledge(raw, AcknowledgeType.RELEASE); // not tried: back to the group, for anyone
                continue;
            }
            Held current = new Held(raw);
            Decision decision = decideRenewing(current, held);
            while (decision.outage() && holdThroughOutage(current, held)) {
                decision = decideRenewing(current, held); // the database answers again: the same delivery, once more
            }
            outage = decision.outage();
            pause = longest(pause, decision.pause());
            if (current.lost) {
                continue; // its lock is gone and it is no longer this consumer's to acknowledge
            }
            consumer.acknowledge(current.record, decision.type());
        }
        return new PollOutcome(outage, pause);
    }

    /** The record being processed, as last returned by the consumer (a renewed record comes back as a new instance). */
    private static final class Held {
        ConsumerRecord<byte[], byte[]> record;
        final long since = System.nanoTime();
        boolean lost;

        Held(ConsumerRecord<byte[], byte[]> record) {
            this.record = record;
        }
    }

    /** Runs {@link #decide} on the handler thread and waits for it, renewing the locks held meanwhile. */
    private Decision decideRenewing(Held current, Deque<ConsumerRecord<byte[], byte[]>> held) {
        ConsumerRecord<byte[], byte[]> raw = current.record;
        return awaitRenewing(current, held, handlerThread.submit(() -> decide(raw)));
    }

    /**
     * Waits for work on the handler thread; every half lock duration meanwhile renews the locks of the record and of
     * those still waiting ({@code held}), until the record has been held for {@link Builder#maxLockRenewal(Duration)}:
     * then its lock is left to expire, so that a stuck handler does not keep records from the group.
     */
    private <T> T awaitRenewing(Held current, Deque<ConsumerRecord<byte[], byte[]>> held, Future<T> work) {
        Optional<Integer> lock = consumer.acquisitionLockTimeoutMs();
        boolean renewing = lock.isPresent();
        while (true) {
            long wait = renewing
                    ? Math.max(0, lockedAt + TimeUnit.MILLISECONDS.toNanos(lock.orElseThrow() / 2) - System.nanoTime())
                    : Long.MAX_VALUE;
            try {
                return work.get(wait, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (!current.lost && System.nanoTime() - current.since < maxLockRenewal.toNanos()) {
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

    /** The decision for one record, on the handler thread: never throws for a failure of the record or the database. */
    private Decision decide(ConsumerRecord<byte[], byte[]> raw) {
        try {
            return new Decision(processOne(raw), false, Duration.ZERO);
        } catch (DatabaseUnavailableException e) {
            if (e.reason() == DatabaseUnavailableException.Reason.TIMED_OUT) {
                metrics.timeoutRetry();
                log.warn("share consumer {}: {} waited past the transaction timeout for rows another transaction "
                        + "holds (another consumer with the same record?); released, it comes back: {}", name,
                        coordinates(raw), e.getMessage());
                return new Decision(AcknowledgeType.RELEASE, false, backoff.delay(1));
            }
            metrics.databaseRetry();
            log.warn("share consumer {}: the database is unavailable ({}); {} and the records behind it are held, "
                    + "their locks renewed, never dead-lettered, until it answers: {}", name, e.reason(), coordinates(raw),
                    e.getMessage());
            return new Decision(AcknowledgeType.RELEASE, true, Duration.ZERO);
        } catch (RecordProcessingException e) {
            int delivery = raw.deliveryCount().map(Short::intValue).orElse(1);
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (delivery >= maxAttempts) {
                log.error("share consumer {}: {} failed on delivery {} of {}; dead-lettering it. Last failure: {}",
                        name, coordinates(raw), delivery, maxAttempts, cause.toString(), cause);
                return new Decision(deadLetter(raw, new DeadLetter(DeadLetterReason.FAILED, "processing failed on "
                        + delivery + " deliveries; last failure: " + cause, null, cause, false)), false, Duration.ZERO);
            }
            metrics.recordRetry();
            log.warn("share consumer {}: {} failed (delivery {} of {}); released for a later attempt: {}", name,
                    coordinates(raw), delivery, maxAttempts, cause.toString());
            return new Decision(AcknowledgeType.RELEASE, false, backoff.delay(delivery));
        }
    }

    /**
     * The acknowledgement of one record once its transaction committed or its dead letter was acknowledged.
     *
     * @throws DatabaseUnavailableException when the database cannot do the work now
     * @throws RecordProcessingException when the handler or the database failed the record
     */
    private AcknowledgeType processOne(ConsumerRecord<byte[], byte[]> raw) {
        RecordDecoder.Decoded<K, V> decoded = decoder.decode(raw);
        if (decoded instanceof RecordDecoder.Undecodable<K, V> undecodable) {
            deduplicator.invalid(raw, undecodable.reason()); // counted as every integration counts it
            log.warn("share consumer {}: {}: {}; dead-lettering it", name, coordinates(raw), undecodable.reason());
            return deadLetter(raw, new DeadLetter(DeadLetterReason.INVALID, undecodable.reason(), null,
                    undecodable.failure(), undecodable.keyFailed()));
        }
        ConsumerRecord<K, V> read = ((RecordDecoder.Readable<K, V>) decoded).record();
        // with the delivery count, which RecordDecoder (shared with the classic runner, Kafka 3 clients too) drops
        ConsumerRecord<K, V> record = new ConsumerRecord<>(read.topic(), read.partition(), read.offset(),
                read.timestamp(), read.timestampType(), read.serializedKeySize(), read.serializedValueSize(), read.key(),
                read.value(), read.headers(), read.leaderEpoch(), raw.deliveryCount());
        DedupResult result = deduplicator.process(record, handler);
        try {
            listener.afterDatabaseCommit(List.of(record), List.of(result));
        } catch (RuntimeException e) {
            log.warn("share consumer {}: RunnerListener.afterDatabaseCommit failed; ignored", name, e);
        }
        return switch (result.outcome()) {
            case PROCESSED, REJECTED, DUPLICATE -> AcknowledgeType.ACCEPT;
            case INVALID -> deadLetter(raw, new DeadLetter(DeadLetterReason.INVALID, result.reason(), result.dedupKey(),
                    null, false));
            case CONFLICT -> {
                if (conflictPolicy == ConflictPolicy.FAIL) {
                    fatal = new IllegalStateException("share consumer " + name + " stopped: " + coordinates(raw) + " is "
                            + "a CONFLICT (" + result.reason() + ") and the conflict policy is FAIL; the record was "
                            + "released, not accepted. Resolve the conflict, then restart (or use "
                            + "ConflictPolicy.DEAD_LETTER)");
                    log.error(fatal.getMessage());
                    yield AcknowledgeType.RELEASE;
                }
                yield deadLetter(raw, new DeadLetter(DeadLetterReason.CONFLICT, result.reason(), result.dedupKey(),
                        null, false));
            }
        };
    }

    /** Sends the dead letter and waits for its acknowledgement: {@code ACCEPT} once it has one, else {@code RELEASE}. */
    private AcknowledgeType deadLetter(ConsumerRecord<byte[], byte[]> raw, DeadLetter letter) {
        Future<RecordMetadata> send = deadLetters.publish(raw, letter);
        try {
            send.get(deadLetterWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            metrics.deadLetterFailed();
            log.error("share consumer {}: the dead-letter topic did not take {} ({}); released, it comes back for "
                    + "another attempt: {}", name, coordinates(raw), letter.reason(),
                    e instanceof ExecutionException ? e.getCause().toString() : "no acknowledgement within "
                            + deadLetterWait.toMillis() + " ms");
            return AcknowledgeType.RELEASE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return AcknowledgeType.RELEASE;
        }
        metrics.deadLettered(letter.reason());
        log.warn("share consumer {}: {} dead-lettered as {}", name, coordinates(raw), letter.reason());
        try {
            listener.afterDeadLetter(raw, letter.reason());
        } catch (RuntimeException e) {
            log.warn("share consumer {}: RunnerListener.afterDeadLetter failed; ignored", name, e);
        }
        return AcknowledgeType.ACCEPT;
    }

    /** Commits the poll's acknowledgements, then backs off after a failure or waits out a database outage. */
    private void settle(PollOutcome outcome) {
        commit();
        if (outcome.outage()) {
            awaitDatabase();
        } else if (!outcome.backoff().isZero()) {
            sleep(outcome.backoff());
        }
    }

    /** Sends the acknowledgements given so far and logs those the broker refused. */
    private void commit() {
        Map<TopicIdPartition, Optional<KafkaException>> results;
        try {
            results = consumer.commitSync(deadLetterWait);
        } catch (WakeupException e) {
            results = consumer.commitSync(deadLetterWait); // close() woke us up; the acknowledgements still go out
        }
        results.forEach((partition, error) -> error.ifPresent(e -> log.warn("share consumer {}: the broker refused "
                + "acknowledgements of {} ({}); records whose lock expired come back, to this or another consumer, and "
                + "those already committed to the database are DUPLICATE there", name, partition, e.toString())));
    }

    /**
     * Waits for the database while keeping the records in hand, renewing their locks, so that an outage costs them no
     * delivery (the broker archives a record after {@code group.share.delivery.count.limit} deliveries, releases
     * included). Gives up, and lets the caller release them, when the record has been held for
     * {@link Builder#maxLockRenewal(Duration)}, when a lock cannot be renewed, or on {@link #close()}.
     *
     * @return whether the database answers again with the records still held
     */
    private boolean holdThroughOutage(Held current, Deque<ConsumerRecord<byte[], byte[]>> held) {
        if (consumer.acquisitionLockTimeoutMs().isEmpty()) {
            return false;
        }
        for (int attempt = 1; stopping.getCount() > 0 && !current.lost; attempt++) {
            if (System.nanoTime() - current.since >= maxLockRenewal.toNanos()) {
                log.warn("share consumer {}: the database has been unavailable while {} was held for {} ms; releasing "
                        + "it and the {} records behind it (each release costs a delivery) and waiting for the database",
                        name, coordinates(current.record), maxLockRenewal.toMillis(), held.size());
                return false;
            }
            Duration pause = backoff.delay(attempt);
            // on the handler thread, so that a probe that waits for a connection does not hold up the renewals
            if (awaitRenewing(current, held, handlerThread.submit(() -> {
                sleep(pause);
                return databaseAnswers();
            }))) {
                return true;
            }
        }
        return false;
    }

    /** Probes the database with capped backoff, without polling (polling would spend the records' deliveries). */
    private void awaitDatabase() {
        for (int attempt = 1; stopping.getCount() > 0; attempt++) {
            sleep(backoff.delay(attempt));
            if (databaseAnswers()) {
                return;
            }
        }
    }

    private boolean databaseAnswers() {
        try {
            deduplicator.checkDatabase();
            log.info("share consumer {}: the database answers again", name);
            return true;
        } catch (DatabaseUnavailableException e) {
            metrics.databaseRetry();
            log.warn("share consumer {}: the database is still unavailable ({}): {}", name, e.reason(), e.getMessage());
        } catch (IllegalStateException e) {
            metrics.databaseRetry();
            log.error("share consumer {}: the database refuses the dedup table's work; waiting until an operator fixes "
                    + "it: {}", name, e.getMessage());
        }
        return false;
    }

    private void sleep(Duration pause) {
        try {
            if (stopping.await(pause.toMillis(), TimeUnit.MILLISECONDS)) {
                log.debug("share consumer {}: pause cut short by close()", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Duration longest(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private void closeClients() {
        handlerThread.shutdown();
        String runner = "share consumer " + name;
        RunnerSettings.closeQuietly(log, runner, "consumer", () -> consumer.close(shutdownTimeout));
        RunnerSettings.closeQuietly(log, runner, "dead-letter producer", () -> deadLetters.close(shutdownTimeout));
        RunnerSettings.closeQuietly(log, runner, "deserializers", decoder::close);
        metrics.close();
        log.info("share consumer {}: runner stopped", name);
    }

    /**
     * Configures a {@link DedupShareConsumerRunner}. Setters reject bad values at once and {@link #build()} rejects
     * missing ones; every message names the setting. Required: {@link #consumerProperties(Map)} (with
     * {@code bootstrap.servers} and {@code group.id}, the share group), {@link #topics(String...)},
     * {@link #deduplicator(Deduplicator)} and {@link #handler(RecordHandler)}.
     */
    public static final class Builder<K, V> {
        final Deserializer<K> keyDeserializer;
        final Deserializer<V> valueDeserializer;
        final Map<String, Object> consumerProperties = new HashMap<>();
        @Nullable Map<String, Object> producerProperties;
        final Set<String> topics = new LinkedHashSet<>();
        @Nullable Deduplicator deduplicator;
        @Nullable RecordHandler<K, V> handler;
        ConflictPolicy conflictPolicy = ConflictPolicy.DEAD_LETTER;
        Backoff backoff = new Backoff(Duration.ofMillis(500), 2.0, Duration.ofSeconds(30));
        int maxAttempts = 5;
        Function<String, String> deadLetterTopic = DeadLetter::topicOf;
        Duration pollTimeout = Duration.ofSeconds(1);
        Duration shutdownTimeout = Duration.ofSeconds(30);
        @Nullable Duration maxLockRenewal;
        RunnerListener listener = new RunnerListener() {
        };
        MeterRegistry meterRegistry = Metrics.globalRegistry;

        private Builder(Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
            this.keyDeserializer = RunnerSettings.deserializer("keyDeserializer", keyDeserializer);
            this.valueDeserializer = RunnerSettings.deserializer("valueDeserializer", valueDeserializer);
        }

        /**
         * Required. The {@link KafkaShareConsumer} settings, passed through unchanged (SSL, SASL and all): at least
         * {@code bootstrap.servers} and {@code group.id}. {@code share.acknowledgement.mode=explicit} is set by the
         * runner; {@code share.acquire.mode=record_limit} with a small {@code max.poll.records} keeps records that a
         * slow handler has not reached yet from waiting out their locks. Where to start and which transactional
         * records to read are settings of the share group on the broker ({@code share.auto.offset.reset},
         * {@code share.isolation.level}), not of its consumers. Adds to earlier calls.
         *
         * @throws IllegalArgumentException for {@code share.acknowledgement.mode=implicit} (it would acknowledge records
         *     before their database transaction) and for a {@code key.deserializer}/{@code value.deserializer} other
         *     than {@code ByteArrayDeserializer}
         */
        public Builder<K, V> consumerProperties(Map<String, ?> properties) {
            Objects.requireNonNull(properties, "consumerProperties");
            properties.forEach(this::consumerProperty);
            return this;
        }

        /** One consumer setting; see {@link #consumerProperties(Map)}. */
        public Builder<K, V> consumerProperty(String key, Object value) {
            RunnerSettings.checkConsumerProperty(key, value, "DedupShareConsumerRunner.builder");
            if (key.equals(ACKNOWLEDGEMENT_MODE) && !"explicit".equals(value.toString().trim())) {
                throw new InvalidSettingException("consumerProperties", value, ACKNOWLEDGEMENT_MODE + "=" + value
                        + " is not allowed; the runner acknowledges each record itself, only after its database "
                        + "transaction committed. Remove the setting (the runner uses explicit)");
            }
            consumerProperties.put(key, value);
            return this;
        }

        /** Required. The topics to consume. Adds to earlier calls. */
        public Builder<K, V> topics(String... topics) {
            Objects.requireNonNull(topics, "topics");
            return topics(List.of(topics));
        }

        /** Required. The topics to consume. Adds to earlier calls. */
        public Builder<K, V> topics(Collection<String> topics) {
            RunnerSettings.addTopics(this.topics, topics);
            return this;
        }

        /** Required. The protocol: dedup key, fingerprint, table, and the DataSource of the handler's writes. */
        public Builder<K, V> deduplicator(Deduplicator deduplicator) {
            this.deduplicator = Objects.requireNonNull(deduplicator, "deduplicator");
            return this;
        }

        /**
         * Required. The side effect, run in the claim's transaction only for a key seen the first time. The record it
         * is given carries the broker's {@link ConsumerRecord#deliveryCount()}.
         */
        public Builder<K, V> handler(RecordHandler<K, V> handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /** What to do with a {@code CONFLICT}; defaults to {@link ConflictPolicy#DEAD_LETTER}. */
        public Builder<K, V> conflictPolicy(ConflictPolicy conflictPolicy) {
            this.conflictPolicy = Objects.requireNonNull(conflictPolicy, "conflictPolicy");
            return this;
        }

        /**
         * The pause before the next poll after a record failed ({@code initial * multiplier^(delivery-1)}, at most
         * {@code max}), and between probes of an unavailable database. Defaults to 500 ms, 2.0, 30 s.
         *
         * @throws IllegalArgumentException naming {@code retryBackoff} for a non-positive initial, a multiplier below 1
         *     or a max below initial
         */
        public Builder<K, V> retryBackoff(Duration initial, double multiplier, Duration max) {
            this.backoff = Backoff.of(initial, multiplier, max);
            return this;
        }

        /**
         * On which delivery a failing record is dead-lettered instead of released, counted by the broker's delivery
         * count; defaults to 5. Keep it at or below the broker's {@code group.share.delivery.count.limit} (5 by
         * default): the broker archives a record delivered that often, without a dead letter. Database outages do not
         * count as the record's failures, and spend no delivery unless they outlast {@link #maxLockRenewal(Duration)}.
         */
        public Builder<K, V> maxAttempts(int maxAttempts) {
            this.maxAttempts = RunnerSettings.atLeastOne("maxAttempts", maxAttempts);
            return this;
        }

        /** The dead-letter topic of each source topic; defaults to {@link DeadLetter#topicOf}, {@code <topic>-dlt}. */
        public Builder<K, V> deadLetterTopic(Function<String, String> naming) {
            this.deadLetterTopic = Objects.requireNonNull(naming, "deadLetterTopic");
            return this;
        }

        /**
         * The dead-letter producer's settings, as for {@link DedupConsumerRunner.Builder#producerProperties(Map)}: by
         * default the consumer's bootstrap and security settings with {@code acks=all}; the timeouts always come from
         * {@link DeadLetterBudget}.
         */
        public Builder<K, V> producerProperties(Map<String, ?> properties) {
            this.producerProperties = RunnerSettings.producerProperties(properties);
            return this;
        }

        /** The longest a poll waits for records; defaults to 1 s. */
        public Builder<K, V> pollTimeout(Duration pollTimeout) {
            this.pollTimeout = RunnerSettings.positive("pollTimeout", pollTimeout);
            return this;
        }

        /**
         * How long a record's handler may run (or the database be away) while the runner keeps renewing its
         * acquisition lock ({@code RENEW}, Kafka 4.2) and those of the records waiting behind it; defaults to the
         * consumer's {@code max.poll.interval.ms} (5 minutes by default). A handler that runs longer is taken for stuck: the locks are left to expire, and the
         * records go to other consumers (where a record whose first transaction commits after all is
         * {@code DUPLICATE}).
         */
        public Builder<K, V> maxLockRenewal(Duration maxLockRenewal) {
            this.maxLockRenewal = RunnerSettings.notNegative("maxLockRenewal", maxLockRenewal);
            return this;
        }

        /** How long {@link DedupShareConsumerRunner#close()} waits for the in-flight work; defaults to 30 s. */
        public Builder<K, V> shutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = RunnerSettings.notNegative("shutdownTimeout", shutdownTimeout);
            return this;
        }

        /**
         * Observes database commits ({@link RunnerListener#afterDatabaseCommit}) and dead letters
         * ({@link RunnerListener#afterDeadLetter}), on the runner's handler thread; a share group has no offsets, so
         * {@code afterOffsetCommit} is not called. Defaults to none.
         */
        public Builder<K, V> listener(RunnerListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Where the {@code dedup.*} runner meters go; defaults to Micrometer's global registry. */
        public Builder<K, V> meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
            return this;
        }

        /**
         * Creates the runner, its share consumer and its dead-letter producer (which connect lazily).
         *
         * @throws IllegalStateException naming a missing setting
         * @throws org.apache.kafka.common.config.ConfigException when Kafka rejects a client setting (a share consumer
         *     refuses {@code auto.offset.reset}, {@code enable.auto.commit}, {@code isolation.level},
         *     {@code group.protocol} and the classic group settings)
         */
        public DedupShareConsumerRunner<K, V> build() {
            RunnerSettings.checkRequired(consumerProperties, topics, deduplicator, "it names the share group");
            if (handler == null) {
                throw new IllegalStateException("handler: required; give the RecordHandler that applies a record's "
                        + "side effect on the connection it is handed");
            }
            return new DedupShareConsumerRunner<>(this);
        }
    }
}
