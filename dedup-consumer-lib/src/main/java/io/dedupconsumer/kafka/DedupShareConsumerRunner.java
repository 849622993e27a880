package io.dedupconsumer.kafka;

import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.core.DatabaseUnavailableException;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.InvalidSettingException;
import io.dedupconsumer.core.RecordHandler;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
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

    private final KafkaShareConsumer<byte[], byte[]> consumer;
    private final DeadLetterPublisher deadLetters;
    private final RecordDecoder<K, V> decoder;
    private final RunnerMetrics metrics;
    private final Deduplicator deduplicator;
    private final List<String> topics;
    private final Duration pollTimeout;
    private final Duration shutdownTimeout;
    private final String name;
    private final AtomicBoolean started = new AtomicBoolean();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile @Nullable Thread thread;
    private final ExecutorService handlerThread;
    private final ShareLocks locks;
    private final ShareRecordDecisions<K, V> decisions;
    private final ShareOutageHold outageHold;

    private DedupShareConsumerRunner(Builder<K, V> b) {
        Map<String, Object> consumerProperties = new HashMap<>(b.consumerProperties);
        consumerProperties.put(ACKNOWLEDGEMENT_MODE, "explicit");
        this.deduplicator = Objects.requireNonNull(b.deduplicator, "deduplicator")
                .forPollInterval(DeadLetterBudget.maxPollInterval(consumerProperties));
        RecordHandler<K, V> handler = Objects.requireNonNull(b.handler, "handler");
        String group = String.valueOf(consumerProperties.get(ConsumerConfig.GROUP_ID_CONFIG));
        String runnerId = group + "-share-" + RUNNERS.incrementAndGet();
        Map<String, Object> producerProperties = b.producerProperties != null ? new HashMap<>(b.producerProperties)
                : DedupConsumerRunner.deadLetterProducerProperties(consumerProperties, runnerId);
        DeadLetterBudget budget = DeadLetterBudget.of(consumerProperties);
        producerProperties.putAll(budget.producerTimeouts());
        Duration deadLetterWait = budget.perStep();
        this.name = group;
        this.topics = List.copyOf(b.topics);
        this.pollTimeout = b.pollTimeout;
        this.shutdownTimeout = b.shutdownTimeout;
        Duration maxLockRenewal = b.maxLockRenewal != null ? b.maxLockRenewal
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
        this.locks = new ShareLocks(consumer, metrics, maxLockRenewal, deadLetterWait, name);
        this.decisions = new ShareRecordDecisions<>(decoder, deduplicator, handler, b.listener, b.conflictPolicy,
                b.maxAttempts, b.backoff, deadLetters, deadLetterWait, metrics, name);
        this.outageHold = new ShareOutageHold(locks, handlerThread, deduplicator, b.backoff, metrics, stopping, name);
        log.info("share consumer {}: runner built for topics {}, {} on conflict, {} attempts, transactions bounded by {} "
                + "ms; consumer settings {}, dead-letter producer settings {}", group, topics, b.conflictPolicy,
                b.maxAttempts, deduplicator.transactionTimeout().toMillis(), new TreeSet<>(consumerProperties.keySet()),
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
            while (stopping.getCount() > 0 && decisions.fatal() == null) {
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
        RuntimeException fatal = decisions.fatal();
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
     * Processes and acknowledges every record of the poll (explicit mode: all of them, before the next poll), one at a
     * time on the handler thread while this thread renews the locks of the records it holds.
     */
    private PollOutcome process(ConsumerRecords<byte[], byte[]> records) {
        Deque<ConsumerRecord<byte[], byte[]>> held = new ArrayDeque<>();
        records.forEach(held::add);
        locks.acquired();
        boolean outage = false;
        Duration pause = Duration.ZERO;
        for (ConsumerRecord<byte[], byte[]> raw = held.poll(); raw != null; raw = held.poll()) {
            if (outage || decisions.fatal() != null || stopping.getCount() == 0) {
                consumer.acknowledge(raw, AcknowledgeType.RELEASE); // not tried: back to the group, for anyone
                continue;
            }
            ShareLocks.Held current = new ShareLocks.Held(raw);
            ShareRecordDecisions.Decision decision = decideRenewing(current, held);
            while (decision.outage() && outageHold.holdThrough(current, held)) {
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

    /** Decides the record on the handler thread and waits for it, renewing the locks held meanwhile. */
    private ShareRecordDecisions.Decision decideRenewing(ShareLocks.Held current,
            Deque<ConsumerRecord<byte[], byte[]>> held) {
        ConsumerRecord<byte[], byte[]> raw = current.record;
        return locks.await(current, held, handlerThread.submit(() -> decisions.decide(raw)));
    }

    /** Commits the poll's acknowledgements, then backs off after a failure or waits out a database outage. */
    private void settle(PollOutcome outcome) {
        locks.commit();
        if (outcome.outage()) {
            outageHold.awaitDatabase();
        } else if (!outcome.backoff().isZero()) {
            outageHold.pause(outcome.backoff());
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
