package io.dedupconsumer.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * A real Kafka broker for integration tests, one per JVM.
 *
 * <p>Exactly-once claims are only worth something when tested against a real broker: real group
 * rebalances, real offset commits, real redelivery after a crash. Docker is not available everywhere
 * the build runs, so by default this starts spring-kafka-test's in-process KRaft broker (one node,
 * listening on 127.0.0.1, about two seconds to start) the first time {@link #shared()} is called and
 * stops it from a JVM shutdown hook. When the environment variable {@code KAFKA_BOOTSTRAP_SERVERS}
 * is set, it uses that cluster instead and starts nothing.
 *
 * <p>Every test should work on its own topics ({@link #uniqueTopic(String, int)}) and consumer
 * groups, because the broker is shared by every test in the JVM and, with an external cluster, by
 * other JVMs too.
 */
public final class KafkaBroker {

    /** Environment variable naming an external cluster to use instead of the in-process broker. */
    public static final String BOOTSTRAP_SERVERS_ENV = "KAFKA_BOOTSTRAP_SERVERS";

    private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);

    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private static final Duration POLL_INTERVAL = Duration.ofMillis(100);

    private static final Object SHARED_LOCK = new Object();

    private static volatile KafkaBroker shared;

    private final String bootstrapServers;

    private KafkaBroker(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Returns the JVM-wide broker, starting it on first use.
     *
     * @return a running broker (in-process, or the external cluster named by {@code KAFKA_BOOTSTRAP_SERVERS})
     */
    public static KafkaBroker shared() {
        KafkaBroker broker = shared;
        if (broker == null) {
            synchronized (SHARED_LOCK) {
                broker = shared;
                if (broker == null) {
                    broker = start();
                    shared = broker;
                }
            }
        }
        return broker;
    }

    private static KafkaBroker start() {
        String external = System.getenv(BOOTSTRAP_SERVERS_ENV);
        if (external != null && !external.isBlank()) {
            log.info("Using external Kafka cluster {} (from {})", external, BOOTSTRAP_SERVERS_ENV);
            return new KafkaBroker(external.trim());
        }
        long started = System.nanoTime();
        EmbeddedKafkaKraftBroker embedded = new EmbeddedKafkaKraftBroker(1, 1);
        // not spring.kafka.bootstrap-servers (the default): it would leak into every Spring Boot application of the JVM
        embedded.brokerListProperty("dedup.testkit.kafka.brokers");
        embedded.brokerProperties(Map.ofEntries(
                Map.entry("listeners", "EXTERNAL://127.0.0.1:0,CONTROLLER://127.0.0.1:0"),
                Map.entry("auto.create.topics.enable", "true"),
                Map.entry("offsets.topic.replication.factor", "1"),
                Map.entry("offsets.topic.num.partitions", "5"),
                Map.entry("transaction.state.log.replication.factor", "1"),
                Map.entry("transaction.state.log.min.isr", "1"),
                Map.entry("transaction.state.log.num.partitions", "5"),
                Map.entry("group.initial.rebalance.delay.ms", "0"),
                // consumer-protocol (KIP-848) groups: session and heartbeat are the broker's, shortened for tests
                Map.entry("group.consumer.min.session.timeout.ms", "6000"),
                Map.entry("group.consumer.session.timeout.ms", "10000"),
                Map.entry("group.consumer.min.heartbeat.interval.ms", "500"),
                Map.entry("group.consumer.heartbeat.interval.ms", "1000"),
                // share groups (KIP-932, production-ready in 4.2): on by the share.version feature a 4.2 cluster is
                // formatted with; the share coordinator's state topic fits one broker, sessions and locks short for tests
                Map.entry("share.coordinator.state.topic.replication.factor", "1"),
                Map.entry("share.coordinator.state.topic.min.isr", "1"),
                Map.entry("share.coordinator.state.topic.num.partitions", "3"),
                Map.entry("group.share.min.session.timeout.ms", "6000"),
                Map.entry("group.share.session.timeout.ms", "10000"),
                Map.entry("group.share.min.heartbeat.interval.ms", "500"),
                Map.entry("group.share.heartbeat.interval.ms", "1000"),
                Map.entry("group.share.min.record.lock.duration.ms", "1000")));
        embedded.afterPropertiesSet();
        // the KRaft test kit reports "localhost:<port>"; the listener is bound to 127.0.0.1 only, so say so
        KafkaBroker broker = new KafkaBroker(embedded.getBrokersAsString().replace("localhost:", "127.0.0.1:"));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopQuietly(embedded), "kafka-broker-shutdown"));
        log.info("Started in-process Kafka broker at {} in {} ms", broker.bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return broker;
    }

    private static void stopQuietly(EmbeddedKafkaKraftBroker embedded) {
        try {
            embedded.destroy();
        }
        catch (RuntimeException ex) {
            log.warn("Failed to stop the in-process Kafka broker", ex);
        }
    }

    /**
     * The consumer group protocols tests should cover with the Kafka client on the class path: {@code classic}, and
     * {@code consumer} (KIP-848, generally available since Kafka 4.0) where the client is 4.x. A parameter source for
     * tests that run against every protocol.
     *
     * @return {@code ["classic", "consumer"]} on Kafka 4 clients, else {@code ["classic"]}
     */
    public static List<String> groupProtocols() {
        String version = AppInfoParser.getVersion();
        int major;
        try {
            major = Integer.parseInt(version.substring(0, version.indexOf('.')));
        } catch (RuntimeException e) {
            major = 0;
        }
        return major >= 4 ? List.of("classic", "consumer") : List.of("classic");
    }

    /**
     * Returns where clients connect.
     *
     * @return the {@code bootstrap.servers} value for clients
     */
    public String bootstrapServers() {
        return this.bootstrapServers;
    }

    /**
     * Creates a topic and waits until every partition has a leader. Creating a topic that already
     * exists with the same number of partitions is not an error.
     *
     * @param name the topic name
     * @param partitions the number of partitions
     * @throws IllegalStateException if the topic exists with another partition count, or creation fails or times out
     */
    public void createTopic(String name, int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
        }
        try (Admin admin = admin()) {
            NewTopic topic = new NewTopic(name, Optional.of(partitions), Optional.empty());
            try {
                admin.createTopics(List.of(topic)).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            catch (ExecutionException ex) {
                if (!(ex.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("Could not create topic " + name, ex.getCause());
                }
                log.debug("Topic {} already exists", name);
            }
            awaitLeaders(admin, name, partitions);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topic " + name, ex);
        }
        catch (TimeoutException ex) {
            throw new IllegalStateException("Timed out creating topic " + name, ex);
        }
    }

    private static void awaitLeaders(Admin admin, String name, int partitions) throws InterruptedException {
        long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
        while (true) {
            try {
                TopicDescription description = admin.describeTopics(List.of(name)).allTopicNames()
                        .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(name);
                int actual = description.partitions().size();
                if (actual != partitions) {
                    throw new IllegalStateException(
                            "Topic " + name + " exists with " + actual + " partitions, wanted " + partitions);
                }
                if (description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return;
                }
            }
            catch (ExecutionException ex) {
                if (!(ex.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new IllegalStateException("Could not describe topic " + name, ex.getCause());
                }
            }
            catch (TimeoutException ex) {
                throw new IllegalStateException("Timed out describing topic " + name, ex);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Topic " + name + " has no leader for every partition after "
                        + ADMIN_TIMEOUT);
            }
            pause();
        }
    }

    /**
     * Creates a topic whose name nobody else uses: the prefix plus a random suffix.
     *
     * @param prefix a readable prefix, e.g. the test name
     * @param partitions the number of partitions
     * @return the created topic's name
     */
    public String uniqueTopic(String prefix, int partitions) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        createTopic(name, partitions);
        return name;
    }

    /**
     * Returns producer settings for this broker: byte array serializers, {@code acks=all}.
     *
     * @return a new mutable map the caller may extend
     */
    public Map<String, Object> producerProps() {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrapServers);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return props;
    }

    /**
     * Returns consumer settings for this broker: byte array deserializers, start from the earliest
     * offset, no auto-commit.
     *
     * @param groupId the consumer group
     * @return a new mutable map the caller may extend
     */
    public Map<String, Object> consumerProps(String groupId) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return props;
    }

    /**
     * Reads a topic from the beginning, without committing anything, until at least
     * {@code expectedCount} records have arrived or the timeout expires.
     *
     * <p>Once the count is reached it keeps reading up to the end offsets seen at that moment, so
     * records beyond the expected count (duplicates, for instance) are returned too, not hidden.
     * Only committed records are read ({@code isolation.level=read_committed}); for
     * non-transactional producers that makes no difference. On timeout it returns what it has, so
     * the caller's assertion shows what was missing.
     *
     * @param topic the topic
     * @param expectedCount how many records to wait for
     * @param timeout how long to wait at most
     * @return the records, in order within each partition
     */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expectedCount, Duration timeout) {
        Map<String, Object> props = consumerProps("testkit-read-all-" + UUID.randomUUID());
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = awaitPartitions(consumer, topic, deadline);
            if (partitions.isEmpty()) {
                log.warn("Topic {} has no partitions after {}; returning no records", topic, timeout);
                return records;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> endOffsets = null;
            while (System.nanoTime() < deadline) {
                long remainingMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                consumer.poll(Duration.ofMillis(Math.min(remainingMillis, POLL_INTERVAL.toMillis())))
                        .forEach(records::add);
                if (records.size() >= expectedCount) {
                    if (endOffsets == null) {
                        endOffsets = consumer.endOffsets(partitions);
                    }
                    if (reached(consumer, endOffsets)) {
                        return records;
                    }
                }
            }
            log.info("readAll({}) timed out after {} with {} of {} records", topic, timeout, records.size(),
                    expectedCount);
            return records;
        }
    }

    private static List<TopicPartition> awaitPartitions(KafkaConsumer<byte[], byte[]> consumer, String topic,
            long deadline) {
        while (true) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic);
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition()))
                        .collect(Collectors.toList());
            }
            if (System.nanoTime() > deadline) {
                return List.of();
            }
            pause();
        }
    }

    private static boolean reached(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> endOffsets) {
        for (Map.Entry<TopicPartition, Long> end : endOffsets.entrySet()) {
            if (consumer.position(end.getKey()) < end.getValue()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Returns the offsets a consumer group has committed for a topic. Partitions without a committed
     * offset are absent.
     *
     * @param groupId the consumer group
     * @param topic the topic
     * @return committed offset (the next record the group would read) by partition
     */
    public Map<TopicPartition, Long> committedOffsets(String groupId, String topic) {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(groupId)
                    .partitionsToOffsetAndMetadata().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, Long> result = new HashMap<>();
            offsets.forEach((partition, offset) -> {
                if (offset != null && partition.topic().equals(topic)) {
                    result.put(partition, offset.offset());
                }
            });
            return result;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while reading offsets of group " + groupId, ex);
        }
        catch (ExecutionException | TimeoutException ex) {
            throw new IllegalStateException("Could not read offsets of group " + groupId, ex);
        }
    }

    /**
     * Configures a share group (KIP-932) before its consumers start: {@code share.auto.offset.reset=earliest}, so
     * that records sent before the first consumer joined are delivered (the broker's default is {@code latest}), and
     * the acquisition lock duration of its records ({@code share.record.lock.duration.ms}; this broker accepts 1 s to
     * 60 s). Share groups are configured on the broker as a {@code GROUP} config resource, not by their consumers.
     *
     * @param groupId the share group
     * @param lockDuration how long a delivered record stays acquired by its consumer before the broker hands it out
     *     again
     */
    public void configureShareGroup(String groupId, Duration lockDuration) {
        ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, groupId);
        List<AlterConfigOp> ops = List.of(
                new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("share.record.lock.duration.ms",
                        Long.toString(lockDuration.toMillis())), AlterConfigOp.OpType.SET));
        try (Admin admin = admin()) {
            admin.incrementalAlterConfigs(Map.of(group, ops)).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while configuring share group " + groupId, ex);
        }
        catch (ExecutionException | TimeoutException ex) {
            throw new IllegalStateException("Could not configure share group " + groupId + " (share groups need a "
                    + "Kafka 4.2 broker, or share.version=1 on 4.1)", ex);
        }
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrapServers));
    }

    private static void pause() {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        if (Thread.currentThread().isInterrupted()) {
            throw new IllegalStateException("Interrupted");
        }
    }

    @Override
    public String toString() {
        return "KafkaBroker[" + this.bootstrapServers + "]";
    }
}
