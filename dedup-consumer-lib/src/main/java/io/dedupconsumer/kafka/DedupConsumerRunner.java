package io.dedupconsumer.kafka;

import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.core.DatabaseUnavailableException;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.BatchHandler;
import io.dedupconsumer.core.InvalidSettingException;
import io.dedupconsumer.core.RecordHandler;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A kafka-clients consumer whose database side effects happen exactly once, for applications without Spring.
 * It polls, runs each record (or each poll) through a {@link Deduplicator} — claim the key and run the handler in one
 * database transaction — and commits a partition's offset only past records whose transaction committed or that the
 * dead-letter topic acknowledged. A crash anywhere therefore loses nothing, and what is redelivered comes out
 * {@code DUPLICATE}.
 *
 * <ul>
 *   <li>Offsets are committed by the runner ({@code enable.auto.commit=false} is forced), synchronously, after each
 *       poll. On revocation the completed offsets of the revoked partitions are committed; lost partitions commit
 *       nothing.</li>
 *   <li>A record whose transaction fails is retried with backoff: its partition is sought back and paused, so the
 *       consumer keeps polling (and stays in its group) while the other partitions flow. After
 *       {@link Builder#maxAttempts(int)} attempts it is dead-lettered.</li>
 *   <li>Records that cannot be processed as they are — an undeserializable key or value, a missing or oversized
 *       dedup key, a {@code CONFLICT} under {@link ConflictPolicy#DEAD_LETTER} — are dead-lettered at once, with their
 *       original bytes and headers plus {@link DeadLetterHeaders}. A failed dead-letter send is retried; the offset
 *       waits for it.</li>
 *   <li>While the database is unavailable, or refuses the work whatever the record (the dedup table missing, a
 *       read-only database, a denied permission: logged at ERROR), every partition pauses and the runner retries
 *       forever with capped backoff; nothing is dead-lettered and nothing committed past the last database commit.
 *       What can be checked is checked when the runner starts, which then refuses to run.</li>
 *   <li>A record whose rows another transaction keeps locked times out within the deduplicator's transaction timeout
 *       (a fifth of {@code max.poll.interval.ms} by default) and is retried after a backoff without end, never
 *       dead-lettered; only its partition pauses, so the consumer stays in its group.</li>
 * </ul>
 *
 * <p>Run it on a thread of your own ({@code new Thread(runner).start()}) and call {@link #close()} from another thread
 * (a shutdown hook) to stop: the in-flight work finishes and is committed before the consumer leaves its group. One
 * runner is one consumer; run several (each on its thread, sharing one {@link Deduplicator}) to consume partitions in
 * parallel.
 *
 * @param <K> the record key type, as the key deserializer produces it
 * @param <V> the record value type, as the value deserializer produces it
 */
public final class DedupConsumerRunner<K, V> implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DedupConsumerRunner.class);
    private static final AtomicInteger RUNNERS = new AtomicInteger();

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final DeadLetterPublisher deadLetters;
    private final RecordDecoder<K, V> decoder;
    private final RunnerMetrics metrics;
    private final ConsumerLoop<K, V> loop;
    private final Duration shutdownTimeout;
    private final @Nullable RetentionGuard retentionGuard;
    private final List<String> topics;
    private final Deduplicator deduplicator;
    private final String name;
    private final AtomicBoolean started = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile @Nullable Thread thread;

    private DedupConsumerRunner(Builder<K, V> b) {
        Map<String, Object> consumerProperties = new HashMap<>(b.consumerProperties);
        consumerProperties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // Kafka's default is read_uncommitted: records of transactions later aborted would be applied.
        consumerProperties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // Throws when a chosen transaction timeout does not fit the poll interval: before any client is created.
        this.deduplicator = b.deduplicator.forPollInterval(DeadLetterBudget.maxPollInterval(consumerProperties));
        String group = String.valueOf(consumerProperties.get(ConsumerConfig.GROUP_ID_CONFIG));
        String runnerId = group + "-" + RUNNERS.incrementAndGet();
        Map<String, Object> producerProperties = b.producerProperties != null ? new HashMap<>(b.producerProperties)
                : deadLetterProducerProperties(consumerProperties, runnerId);
        // Also over explicit settings: no dead-letter send may hold the poll loop near max.poll.interval.ms.
        producerProperties.putAll(DeadLetterBudget.of(consumerProperties).producerTimeouts());
        this.name = group;
        this.shutdownTimeout = b.shutdownTimeout;
        this.retentionGuard = b.retentionGuard;
        this.topics = List.copyOf(b.topics);
        this.decoder = new RecordDecoder<>(b.keyDeserializer, b.valueDeserializer);
        this.consumer = new KafkaConsumer<>(consumerProperties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            this.deadLetters = new DeadLetterPublisher(
                    new KafkaProducer<>(producerProperties, new ByteArraySerializer(), new ByteArraySerializer()),
                    b.deadLetterTopic, group);
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
        PartitionStates states = new PartitionStates();
        this.metrics = new RunnerMetrics(b.meterRegistry, b.deduplicator.consumerName(), runnerId, states::pausedCount);
        this.loop = new ConsumerLoop<>(b, deduplicator, consumer, deadLetters, decoder, metrics, states, group);
        // Keys only: values may be secrets (sasl.jaas.config, ssl.*.password). Kafka logs its own configs masked.
        log.info("consumer {}: runner built for topics {} in {} mode, {} on conflict, {} attempts, transactions bounded "
                + "by {} ms; consumer settings {}, dead-letter producer settings {}", group, b.topics, b.mode,
                b.conflictPolicy, b.maxAttempts, deduplicator.transactionTimeout().toMillis(),
                new TreeSet<>(consumerProperties.keySet()), new TreeSet<>(producerProperties.keySet()));
    }

    /**
     * Starts configuring a runner.
     *
     * @param keyDeserializer turns the record key bytes into {@code K}; applied per record by the runner (not by the
     *     consumer), so that a key that does not deserialize is dead-lettered with its original bytes. It is closed
     *     with the runner and not {@code configure}d by it.
     * @param valueDeserializer the same for the value
     * @throws IllegalArgumentException when a deserializer is {@code null}
     */
    public static <K, V> Builder<K, V> builder(Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        return new Builder<>(keyDeserializer, valueDeserializer);
    }

    /**
     * Subscribes and processes records until {@link #close()} is called from another thread; then commits what is
     * done and closes the consumer and the dead-letter producer. Call it once.
     *
     * @throws IllegalStateException when called a second time or after {@link #close()}, when the
     *     {@linkplain Builder#retentionGuard(RetentionGuard) retention guard} refuses the topics, when the database
     *     refuses the dedup table's work ({@link Deduplicator#checkDatabase()}: the table missing, its name a reserved
     *     word, a read-only database, a missing privilege; nothing is consumed in either case), or when a {@code CONFLICT} stopped the runner under {@link ConflictPolicy#FAIL} (the conflicting record's
     *     offset is not committed)
     * @throws org.apache.kafka.common.KafkaException when the consumer fails for good (authorization, no offset reset
     *     policy, ...); completed work has been committed
     */
    @Override
    public void run() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("consumer " + name + ": run() was already called or the runner was closed; "
                    + "build a new runner");
        }
        thread = Thread.currentThread();
        try {
            if (retentionGuard != null) {
                retentionGuard.check(topics); // throws when the dedup window is shorter than a topic's retention
            }
            checkDatabase();
            loop.run();
        } finally {
            closeClients();
            stopped.countDown();
        }
        RuntimeException fatal = loop.fatal();
        if (fatal != null) {
            throw fatal;
        }
    }

    /**
     * Stops the runner gracefully: wakes the consumer up, lets the in-flight record (or batch) finish, commits, leaves
     * the group and closes the clients. Waits up to the {@linkplain Builder#shutdownTimeout(Duration) shutdown timeout}
     * for that, unless called from the runner's own thread (a handler or listener), where it only asks. Idempotent.
     */
    @Override
    public void close() {
        loop.stop();
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
                log.warn("consumer {}: the runner did not stop within {} ms (a handler still running?)", name,
                        shutdownTimeout.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Refuses to start on a database that refuses the work; one that cannot be reached now is waited for. */
    private void checkDatabase() {
        try {
            deduplicator.checkDatabase();
        } catch (DatabaseUnavailableException e) {
            log.warn("consumer {}: {}; starting all the same, the runner waits for the database like for any outage", name,
                    e.getMessage());
        }
    }

    private void closeClients() {
        String runner = "consumer " + name;
        RunnerSettings.closeQuietly(log, runner, "consumer", () -> consumer.close(shutdownTimeout));
        RunnerSettings.closeQuietly(log, runner, "dead-letter producer", () -> deadLetters.close(shutdownTimeout));
        RunnerSettings.closeQuietly(log, runner, "deserializers", decoder::close);
        metrics.close();
        log.info("consumer {}: runner stopped", name);
    }

    /** Bootstrap and security settings of the consumer, so the dead letters go to the same cluster the same way. */
    static Map<String, Object> deadLetterProducerProperties(Map<String, Object> consumer, String runnerId) {
        Map<String, Object> producer = new HashMap<>();
        consumer.forEach((key, value) -> {
            if (key.equals(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) || key.equals(ConsumerConfig.CLIENT_DNS_LOOKUP_CONFIG)
                    || key.startsWith("security.") || key.startsWith("ssl.") || key.startsWith("sasl.")) {
                producer.put(key, value);
            }
        });
        producer.put(ProducerConfig.ACKS_CONFIG, "all");
        Object clientId = consumer.get(ConsumerConfig.CLIENT_ID_CONFIG);
        producer.put(ProducerConfig.CLIENT_ID_CONFIG, (clientId != null ? clientId : runnerId) + "-dead-letters");
        return producer;
    }

    /**
     * Configures a {@link DedupConsumerRunner}. Setters reject bad values at once and {@link #build()} rejects missing
     * ones; every message names the setting. Required: {@link #consumerProperties(Map)} (with {@code bootstrap.servers}
     * and {@code group.id}), {@link #topics(String...)}, {@link #deduplicator(Deduplicator)} and
     * {@link #handler(RecordHandler)} or {@link #batchHandler(BatchHandler)}.
     */
    public static final class Builder<K, V> {
        final Deserializer<K> keyDeserializer;
        final Deserializer<V> valueDeserializer;
        final Map<String, Object> consumerProperties = new HashMap<>();
        @Nullable Map<String, Object> producerProperties;
        final Set<String> topics = new LinkedHashSet<>();
        @Nullable Deduplicator deduplicator;
        @Nullable RecordHandler<K, V> handler;
        @Nullable BatchHandler<K, V> batchHandler;
        ProcessingMode mode = ProcessingMode.RECORD;
        private boolean modeChosen;
        ConflictPolicy conflictPolicy = ConflictPolicy.DEAD_LETTER;
        Backoff backoff = new Backoff(Duration.ofMillis(500), 2.0, Duration.ofSeconds(30));
        int maxAttempts = 5;
        Function<String, String> deadLetterTopic = DeadLetter::topicOf;
        Duration pollTimeout = Duration.ofSeconds(1);
        Duration shutdownTimeout = Duration.ofSeconds(30);
        RunnerListener listener = new RunnerListener() { };
        @Nullable RetentionGuard retentionGuard;
        Clock clock = Clock.systemUTC();
        MeterRegistry meterRegistry = Metrics.globalRegistry;

        private Builder(Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
            this.keyDeserializer = RunnerSettings.deserializer("keyDeserializer", keyDeserializer);
            this.valueDeserializer = RunnerSettings.deserializer("valueDeserializer", valueDeserializer);
        }

        /**
         * Required. The kafka-clients consumer settings, passed through unchanged (SSL, SASL and all): at least
         * {@code bootstrap.servers} and {@code group.id}. {@code max.poll.records} bounds a {@link ProcessingMode#BATCH}
         * transaction. Adds to earlier calls.
         *
         * @throws IllegalArgumentException for {@code enable.auto.commit=true} (the runner commits, after the database)
         *     and for a {@code key.deserializer}/{@code value.deserializer} other than {@code ByteArrayDeserializer}
         *     (pass deserializers to {@link DedupConsumerRunner#builder(Deserializer, Deserializer)} instead)
         */
        public Builder<K, V> consumerProperties(Map<String, ?> properties) {
            Objects.requireNonNull(properties, "consumerProperties");
            properties.forEach(this::consumerProperty);
            return this;
        }

        /** One consumer setting; see {@link #consumerProperties(Map)}. */
        public Builder<K, V> consumerProperty(String key, Object value) {
            RunnerSettings.checkConsumerProperty(key, value, "DedupConsumerRunner.builder");
            if (key.equals(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG) && Boolean.parseBoolean(value.toString().trim())) {
                throw new InvalidSettingException("consumerProperties", value, "enable.auto.commit=true is not allowed; the "
                        + "runner commits each offset itself, only after the record's database transaction committed. "
                        + "Remove the setting or set it to false");
            }
            if (key.equals(ConsumerConfig.ISOLATION_LEVEL_CONFIG) && !"read_committed".equals(value.toString().trim())) {
                throw new InvalidSettingException("consumerProperties", value, "isolation.level=" + value + " is not allowed; "
                        + "the runner would apply records of Kafka transactions that are later aborted. Remove the "
                        + "setting (the runner reads read_committed)");
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

        /** Required. The side effect, run in the claim's transaction only for a key seen the first time. */
        public Builder<K, V> handler(RecordHandler<K, V> handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Instead of {@link #handler(RecordHandler)}: the side effect of all the records of a poll whose keys were
         * newly claimed, in one call on the claim's connection, so that it can send its statements as one JDBC batch.
         * The poll runs in one transaction ({@link ProcessingMode#BATCH}); when the handler throws, the record it fails
         * on is found by halving the poll, and only that record is retried and then dead-lettered (see
         * {@link Deduplicator#processBatchInOneCall}).
         */
        public Builder<K, V> batchHandler(BatchHandler<K, V> batchHandler) {
            this.batchHandler = Objects.requireNonNull(batchHandler, "batchHandler");
            return this;
        }

        /** One transaction per record (the default) or per poll; a {@link #batchHandler} runs per poll. */
        public Builder<K, V> mode(ProcessingMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            this.modeChosen = true;
            return this;
        }

        /** What to do with a {@code CONFLICT}; defaults to {@link ConflictPolicy#DEAD_LETTER}. */
        public Builder<K, V> conflictPolicy(ConflictPolicy conflictPolicy) {
            this.conflictPolicy = Objects.requireNonNull(conflictPolicy, "conflictPolicy");
            return this;
        }

        /**
         * The pause before a failed record's next attempt, and between attempts to reach an unavailable database:
         * {@code initial * multiplier^(n-1)}, at most {@code max}. Defaults to 500 ms, 2.0, 30 s.
         *
         * @throws IllegalArgumentException naming {@code retryBackoff} for a non-positive initial, a multiplier below 1
         *     or a max below initial
         */
        public Builder<K, V> retryBackoff(Duration initial, double multiplier, Duration max) {
            this.backoff = Backoff.of(initial, multiplier, max);
            return this;
        }

        /**
         * How many times a record whose transaction fails is tried before it is dead-lettered, the first attempt
         * included; defaults to 5. Does not apply to an unavailable database, which is waited for without limit.
         */
        public Builder<K, V> maxAttempts(int maxAttempts) {
            this.maxAttempts = RunnerSettings.atLeastOne("maxAttempts", maxAttempts);
            return this;
        }

        /**
         * The dead-letter topic of each source topic; defaults to {@link DeadLetter#topicOf}, {@code <topic>-dlt}
         * (spring-kafka's default), so both integrations write to the same topic. A dead letter goes to the partition
         * of the same number when the dead-letter topic has it, else where the producer puts it
         * ({@link DeadLetter#partition}).
         */
        public Builder<K, V> deadLetterTopic(Function<String, String> naming) {
            this.deadLetterTopic = Objects.requireNonNull(naming, "deadLetterTopic");
            return this;
        }

        /**
         * The dead-letter producer's settings (serializers are always byte arrays). By default the consumer's
         * {@code bootstrap.servers}, {@code client.dns.lookup}, {@code security.*}, {@code ssl.*} and {@code sasl.*}
         * settings with {@code acks=all}. In either case {@code max.block.ms}, {@code delivery.timeout.ms},
         * {@code request.timeout.ms} and {@code linger.ms} are set from the consumer's {@code max.poll.interval.ms}
         * ({@link DeadLetterBudget}), so that no dead-letter send can hold the poll loop long enough to be evicted.
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

        /** How long {@link DedupConsumerRunner#close()} waits for the in-flight work and the clients; defaults to 30 s. */
        public Builder<K, V> shutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = RunnerSettings.notNegative("shutdownTimeout", shutdownTimeout);
            return this;
        }

        /**
         * Checks at start-up, before subscribing, that the dedup table keeps keys at least as long as the topics keep
         * records (a record redelivered after its key was purged would be applied again); defaults to no check.
         */
        public Builder<K, V> retentionGuard(RetentionGuard retentionGuard) {
            this.retentionGuard = Objects.requireNonNull(retentionGuard, "retentionGuard");
            return this;
        }

        /** Observes database commits, dead letters and offset commits; defaults to none. */
        public Builder<K, V> listener(RunnerListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** The time source of retry pauses; defaults to the system clock. Tests pass a clock they advance. */
        public Builder<K, V> clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Where the {@code dedup.runner.*} meters go; defaults to Micrometer's global registry. */
        public Builder<K, V> meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
            return this;
        }

        /**
         * Creates the runner, its consumer and its dead-letter producer (which connect lazily). The deduplicator's
         * transactions are fitted to the consumer's {@code max.poll.interval.ms} ({@link Deduplicator#forPollInterval}).
         *
         * @throws IllegalStateException naming a missing setting
         * @throws IllegalArgumentException naming {@code transactionTimeout} when the deduplicator's chosen one does
         *     not fit {@code max.poll.interval.ms}
         * @throws org.apache.kafka.common.config.ConfigException when Kafka rejects a client setting
         */
        public DedupConsumerRunner<K, V> build() {
            RunnerSettings.checkRequired(consumerProperties, topics, deduplicator, "the runner commits offsets as a "
                    + "consumer group (use the Deduplicator's consumerName, for instance)");
            if (handler == null && batchHandler == null) {
                throw new IllegalStateException("handler: required; give the RecordHandler that applies a record's "
                        + "side effect on the connection it is handed (or a batchHandler for a poll's records at once)");
            }
            if (handler != null && batchHandler != null) {
                throw new IllegalStateException("handler and batchHandler: set one of them, not both");
            }
            if (batchHandler != null) {
                if (modeChosen && mode == ProcessingMode.RECORD) {
                    throw new IllegalStateException("batchHandler: runs a poll's records in one transaction, so it "
                            + "needs mode BATCH; leave the mode unset or use handler for one transaction per record");
                }
                mode = ProcessingMode.BATCH;
            }
            return new DedupConsumerRunner<>(this);
        }
    }
}
