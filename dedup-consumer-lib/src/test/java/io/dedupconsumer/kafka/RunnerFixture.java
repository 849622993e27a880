package io.dedupconsumer.kafka;

import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.core.BatchHandler;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.jdbc.DedupSchema;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.params.provider.Arguments;

/**
 * One test's real parts: a fresh topic and its dead-letter topic on the shared broker, a fresh database with the
 * dedup table and an {@code effect} table (deliberately without a unique key, so a doubled side effect shows up as a
 * second row), a producer, and runners on their own threads whose outcomes and commits are recorded.
 */
final class RunnerFixture implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(30);

    /** Writes one {@code effect} row per call: the side effect whose count must be exactly one per key. */
    static final RecordHandler<String, String> EFFECT = (record, connection) -> {
        insertEffect(connection, record);
        return HandlerResult.processed();
    };

    final KafkaBroker broker = KafkaBroker.shared();
    final TestDatabase database;
    final String databaseName;
    final HikariDataSource dataSource;
    final String topic;
    final String deadLetterTopic;
    final String group;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** Every outcome the runners reported, in order. */
    final Queue<Seen> seen = new ConcurrentLinkedQueue<>();
    /** The last offset each partition committed, as the runners reported it. */
    final Map<TopicPartition, Long> committed = new ConcurrentHashMap<>();
    final RunnerListener recorder = new RunnerListener() {
        @Override
        public void afterDatabaseCommit(List<? extends ConsumerRecord<?, ?>> records, List<DedupResult> results) {
            for (int i = 0; i < results.size(); i++) {
                ConsumerRecord<?, ?> record = records.get(i);
                seen.add(new Seen(String.valueOf(record.key()), record.partition(), record.offset(), results.get(i).outcome()));
            }
        }

        @Override
        public void afterOffsetCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
            offsets.forEach((partition, offset) -> committed.put(partition, offset.offset()));
        }
    };

    private final KafkaProducer<byte[], byte[]> producer;
    private final Map<TopicPartition, Long> produced = new ConcurrentHashMap<>();
    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();

    private RunnerFixture(String name, TestDatabase database, int partitions) {
        this.database = database;
        this.topic = broker.uniqueTopic(name, partitions);
        this.deadLetterTopic = topic + "-dlt";
        broker.createTopic(deadLetterTopic, partitions);
        this.group = "g-" + topic;
        this.databaseName = database.createDatabase(name);
        this.dataSource = database.dataSource(databaseName);
        DedupSchema.migrate(dataSource);
        execute(dataSource, "CREATE TABLE effect (dedup_key VARCHAR(300) NOT NULL, payload VARCHAR(1000), "
                + "source_partition INT NOT NULL, source_offset BIGINT NOT NULL)");
        this.producer = new KafkaProducer<>(broker.producerProps());
    }

    static RunnerFixture create(String name, TestDatabase database, int partitions) {
        return new RunnerFixture(name, database, partitions);
    }

    /** Outcome of one record as the runner's listener saw it. */
    record Seen(String key, int partition, long offset, Outcome outcome) {
    }

    /** MariaDB and PostgreSQL, each in both processing modes: the arguments of a test that holds for all four. */
    static Stream<Arguments> databasesAndModes() {
        return Stream.of(TestDatabase.mariadb(), TestDatabase.postgresql())
                .flatMap(db -> Stream.of(ProcessingMode.values()).map(mode -> Arguments.of(db, mode)));
    }

    // ------------------------------------------------------------------------------------------- building

    Deduplicator deduplicator(DataSource ds) {
        return Deduplicator.builder().consumerName(group).dedupKey(DedupKey.recordKey()).dataSource(ds)
                .meterRegistry(registry).build();
    }

    Map<String, Object> consumerProperties() {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // A resumed or sought-back partition is fetched again without waiting out the broker's default 500 ms.
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
        return props;
    }

    /** A runner on this fixture's topic and database, recording into {@link #seen} and {@link #committed}. */
    DedupConsumerRunner.Builder<String, String> runner(ProcessingMode mode) {
        return runner(mode, dataSource);
    }

    DedupConsumerRunner.Builder<String, String> runner(ProcessingMode mode, DataSource ds) {
        return unhandled(ds).handler(EFFECT).mode(mode);
    }

    /** A runner on this fixture's topic and database with {@code handler} given a poll's new records at once. */
    DedupConsumerRunner.Builder<String, String> runner(BatchHandler<String, String> handler) {
        return unhandled(dataSource).batchHandler(handler);
    }

    private DedupConsumerRunner.Builder<String, String> unhandled(DataSource ds) {
        return DedupConsumerRunner.builder(new StrictUtf8(), new StrictUtf8())
                .consumerProperties(consumerProperties())
                .topics(topic)
                .deduplicator(deduplicator(ds))
                .retryBackoff(Duration.ofMillis(50), 2.0, Duration.ofMillis(500))
                .pollTimeout(Duration.ofMillis(100))
                .shutdownTimeout(Duration.ofSeconds(10))
                .listener(recorder)
                .meterRegistry(registry);
    }

    /**
     * A consumer of the share group named {@link #group} on this fixture's topic and {@code ds}, recording into
     * {@link #seen}; call {@link #shareGroup(Duration)} before starting it. It acquires at most two records a poll, so
     * that several consumers of one partition each get some.
     */
    DedupShareConsumerRunner.Builder<String, String> shareRunner(DataSource ds) {
        return DedupShareConsumerRunner.builder(new StrictUtf8(), new StrictUtf8())
                .consumerProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers())
                .consumerProperty(ConsumerConfig.GROUP_ID_CONFIG, group)
                .consumerProperty(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit")
                .consumerProperty(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2)
                .topics(topic)
                .deduplicator(deduplicator(ds))
                .handler(EFFECT)
                .retryBackoff(Duration.ofMillis(50), 2.0, Duration.ofMillis(500))
                .pollTimeout(Duration.ofMillis(100))
                .shutdownTimeout(Duration.ofSeconds(10))
                .listener(recorder)
                .meterRegistry(registry);
    }

    /** Makes {@link #group} a share group reading from the start, its records locked for {@code lockDuration}. */
    void shareGroup(Duration lockDuration) {
        broker.configureShareGroup(group, lockDuration);
    }

    /** Waits until the share group {@link #group} has {@code members} consumers, each assigned this fixture's topic. */
    void awaitShareMembers(int members) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            // the group exists once its first consumer joined (GroupIdNotFoundException before)
            await().atMost(WAIT).ignoreExceptionsInstanceOf(ExecutionException.class).until(() -> {
                ShareGroupDescription description = admin.describeShareGroups(List.of(group)).describedGroups()
                        .get(group).get();
                return description.members().size() == members && description.members().stream()
                        .allMatch(m -> m.assignment().topicPartitions().stream().anyMatch(p -> p.topic().equals(topic)));
            });
        }
    }

    /** Runs the runner on a thread of its own; the future ends with {@code run()}. Closed with the fixture. */
    <R extends Runnable & AutoCloseable> CompletableFuture<Void> start(R runner) {
        CompletableFuture<Void> run = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                runner.run();
                run.complete(null);
            } catch (Throwable e) {
                run.completeExceptionally(e);
            }
        }, "runner-" + topic + "-" + closeables.size());
        thread.setDaemon(true);
        closeables.add(runner);
        thread.start();
        return run;
    }

    /** A listener that tells both the recorder and {@code other}. */
    RunnerListener recorderAnd(RunnerListener other) {
        return new RunnerListener() {
            @Override
            public void afterDatabaseCommit(List<? extends ConsumerRecord<?, ?>> records, List<DedupResult> results) {
                recorder.afterDatabaseCommit(records, results);
                other.afterDatabaseCommit(records, results);
            }

            @Override
            public void afterDeadLetter(ConsumerRecord<byte[], byte[]> record, DeadLetterReason reason) {
                other.afterDeadLetter(record, reason);
            }

            @Override
            public void afterOffsetCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
                recorder.afterOffsetCommit(offsets);
                other.afterOffsetCommit(offsets);
            }
        };
    }

    void closeWithFixture(AutoCloseable closeable) {
        closeables.add(closeable);
    }

    // ------------------------------------------------------------------------------------------- producing

    RecordMetadata send(int partition, String key, String value, Header... headers) {
        return send(partition, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8), headers);
    }

    RecordMetadata send(int partition, byte[] key, byte[] value, Header... headers) {
        try {
            RecordMetadata metadata = producer.send(new ProducerRecord<>(topic, partition, key, value, List.of(headers))).get();
            produced.merge(new TopicPartition(topic, partition), metadata.offset() + 1, Math::max);
            return metadata;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("send to " + topic + " failed", e.getCause());
        }
    }

    /** The end offset of every partition something was sent to: what a caught-up group has committed. */
    Map<TopicPartition, Long> endOffsets() {
        return new HashMap<>(produced);
    }

    // ------------------------------------------------------------------------------------------- observing

    /** Waits until the runners reported commits up to the end of everything sent. */
    void awaitAllCommitted() {
        await().atMost(WAIT).until(() -> committed.equals(endOffsets()));
    }

    /** Committed offsets as the broker has them (not as the runner says). */
    Map<TopicPartition, Long> brokerCommitted() {
        return broker.committedOffsets(group, topic);
    }

    long effects() {
        return count("SELECT COUNT(*) FROM effect");
    }

    long dedupRows() {
        return count("SELECT COUNT(*) FROM dedup_record");
    }

    /** How many effect rows each key has: every value must be 1. */
    Map<String, Integer> effectsByKey() {
        Map<String, Integer> counts = new TreeMap<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT dedup_key, COUNT(*) FROM effect GROUP BY dedup_key")) {
            while (rs.next()) {
                counts.put(rs.getString(1), rs.getInt(2));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return counts;
    }

    long count(String sql) {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    long outcomes(Outcome outcome) {
        return seen.stream().filter(s -> s.outcome() == outcome).count();
    }

    List<ConsumerRecord<byte[], byte[]>> deadLetters(int expected) {
        return broker.readAll(deadLetterTopic, expected, Duration.ofSeconds(15));
    }

    double counter(String name, String... tags) {
        Counter counter = registry.find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    double gauge(String name) {
        Gauge gauge = registry.find(name).gauge();
        return gauge == null ? -1 : gauge.value();
    }

    static String text(ConsumerRecord<byte[], byte[]> record, String header) {
        Header h = record.headers().lastHeader(header);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    static int intHeader(ConsumerRecord<byte[], byte[]> record, String header) {
        return ByteBuffer.wrap(record.headers().lastHeader(header).value()).getInt();
    }

    static long longHeader(ConsumerRecord<byte[], byte[]> record, String header) {
        return ByteBuffer.wrap(record.headers().lastHeader(header).value()).getLong();
    }

    // ------------------------------------------------------------------------------------------- database

    static void insertEffect(Connection connection, ConsumerRecord<String, String> record) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO effect (dedup_key, payload, source_partition, source_offset) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, record.key());
            insert.setString(2, record.value());
            insert.setInt(3, record.partition());
            insert.setLong(4, record.offset());
            insert.executeUpdate();
        }
    }

    static void execute(DataSource ds, String sql) {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    @Override
    public void close() {
        List<AutoCloseable> reversed = new ArrayList<>(closeables);
        java.util.Collections.reverse(reversed);
        for (AutoCloseable closeable : reversed) {
            try {
                closeable.close();
            } catch (Exception e) {
                // best effort
            }
        }
        producer.close(Duration.ofSeconds(5));
        dataSource.close();
    }

    /** UTF-8 that refuses malformed input, as a real deserializer of a typed payload refuses garbage. */
    static final class StrictUtf8 implements Deserializer<String> {
        @Override
        public String deserialize(String topic, byte[] data) {
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(data));
                return chars.toString();
            } catch (CharacterCodingException e) {
                throw new SerializationException("not UTF-8 (" + data.length + " bytes)", e);
            }
        }
    }
}
