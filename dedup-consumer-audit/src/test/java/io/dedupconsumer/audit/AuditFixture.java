package io.dedupconsumer.audit;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.jdbc.DedupSchema;
import io.dedupconsumer.kafka.DeadLetter;
import io.dedupconsumer.kafka.DedupConsumerRunner;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.LongPredicate;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One test's real parts: a fresh topic and its dead-letter topic on the shared broker, a fresh database with the
 * library's dedup table (its own Flyway migration) and an {@code effect} table, a producer; consumers that are honest
 * (the library's runner or {@link Deduplicator}) or deliberately not; and the audit run in-process on all of it.
 */
final class AuditFixture implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(30);

    /** One {@code effect} row per applied record. */
    static final RecordHandler<byte[], byte[]> EFFECT = (record, connection) -> {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO effect (dedup_key) VALUES (?)")) {
            insert.setString(1, new String(record.key(), StandardCharsets.UTF_8));
            insert.executeUpdate();
        }
        return HandlerResult.processed();
    };

    final KafkaBroker broker = KafkaBroker.shared();
    final TestDatabase database;
    final String databaseName;
    final HikariDataSource dataSource;
    final String topic;
    final String group;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Path passwordFile;
    private int sent;

    AuditFixture(String name, TestDatabase database, int partitions) {
        this.database = database;
        this.topic = broker.uniqueTopic(name, partitions);
        broker.createTopic(DeadLetter.topicOf(topic), partitions);
        this.group = "g-" + topic;
        this.databaseName = database.createDatabase(name);
        this.dataSource = database.dataSource(databaseName);
        DedupSchema.migrate(dataSource);
        execute("CREATE TABLE effect (dedup_key VARCHAR(300) NOT NULL)");
        this.producer = new KafkaProducer<>(broker.producerProps());
        try {
            this.passwordFile = Files.createTempFile("dedup-audit-password", "");
            Files.writeString(passwordFile, database.password() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The databases every claim of the audit is proved on. */
    static Stream<TestDatabase> databases() {
        return Stream.of(TestDatabase.mariadb(), TestDatabase.postgresql());
    }

    void send(int partition, String key, String value) {
        send(partition, key, value, null);
    }

    /** Sends one record with the producer's timestamp {@code timestamp}, or the current time when {@code null}. */
    void send(int partition, String key, String value, Instant timestamp) {
        try {
            producer.send(new ProducerRecord<>(topic, partition, timestamp == null ? null : timestamp.toEpochMilli(),
                    bytes(key), bytes(value))).get();
            sent++;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Sends {@code order-0} ... {@code order-<count-1>} to partition 0, each with its own payload. */
    void sendOrders(int count) {
        for (int i = 0; i < count; i++) {
            send(0, "order-" + i, "amount=" + i);
        }
    }

    /** Applies, with the library's {@link Deduplicator}, every record sent whose offset {@code which} accepts. */
    void apply(LongPredicate which) {
        Deduplicator deduplicator = deduplicator();
        for (ConsumerRecord<byte[], byte[]> record : records()) {
            if (which.test(record.offset())) {
                deduplicator.process(record, EFFECT);
            }
        }
    }

    /** Every record sent, as the broker has them, in order within each partition. */
    List<ConsumerRecord<byte[], byte[]>> records() {
        List<ConsumerRecord<byte[], byte[]>> records = broker.readAll(topic, sent, WAIT);
        if (records.size() != sent) {
            throw new IllegalStateException("read " + records.size() + " of the " + sent + " records sent");
        }
        return records;
    }

    Deduplicator deduplicator() {
        return Deduplicator.builder().consumerName(group).dedupKey(DedupKey.recordKey()).dataSource(dataSource).build();
    }

    /**
     * The honest consumer: the library's runner consumes everything (dead-lettering conflicts by default) until the
     * group has committed the end of every partition and the dead-letter topic holds {@code deadLetters} records.
     */
    void consumeWithTheRunner(int deadLetters) {
        try (DedupConsumerRunner<byte[], byte[]> runner = startRunner()) {
            await().atMost(WAIT).until(() -> broker.committedOffsets(group, topic).equals(endOffsets()));
            await().atMost(WAIT).until(() -> broker.readAll(DeadLetter.topicOf(topic), deadLetters,
                    Duration.ofMillis(500)).size() == deadLetters);
        }
    }

    /** The library's runner on the fixture's topic and group, running on a thread of its own until closed. */
    DedupConsumerRunner<byte[], byte[]> startRunner() {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        DedupConsumerRunner<byte[], byte[]> runner = DedupConsumerRunner
                .builder(new ByteArrayDeserializer(), new ByteArrayDeserializer())
                .consumerProperties(props).topics(topic).deduplicator(deduplicator()).handler(EFFECT)
                .pollTimeout(Duration.ofMillis(100)).build();
        Thread thread = new Thread(runner::run, "runner-" + topic);
        thread.setDaemon(true);
        thread.start();
        return runner;
    }

    /** Commits {@code offset} for each partition in the group, as a consumer does (the audit only reads them). */
    void commit(Map<Integer, Long> offsets) {
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        offsets.forEach((p, o) -> commit.put(new TopicPartition(topic, p), new OffsetAndMetadata(o)));
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(broker.consumerProps(group))) {
            consumer.assign(commit.keySet());
            consumer.commitSync(commit);
        }
    }

    Map<TopicPartition, Long> endOffsets() {
        Map<TopicPartition, Long> end = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records()) {
            end.merge(new TopicPartition(r.topic(), r.partition()), r.offset() + 1, Math::max);
        }
        return end;
    }

    void execute(String sql) {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** The settings of this fixture's consumer, as an operator types them. */
    List<String> settings() {
        return settings("record-key");
    }

    /** The settings with the key source {@code key}. */
    List<String> settings(String key) {
        return new ArrayList<>(List.of("--topic", topic, "--group", group, "--key", key,
                "--jdbc-url", database.jdbcUrl(databaseName), "--jdbc-user", database.user(),
                "--jdbc-password-file", passwordFile.toString(), "--bootstrap-servers", broker.bootstrapServers()));
    }

    /** The Kafka settings alone, for {@code replay}. */
    List<String> kafkaSettings() {
        return new ArrayList<>(List.of("--topic", topic, "--group", group, "--bootstrap-servers",
                broker.bootstrapServers()));
    }

    int effects(String key) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM effect WHERE dedup_key = ?")) {
            s.setString(1, key);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code dedup-audit audit --json} with the fixture's settings and {@code extra}. */
    Run auditJson(String... extra) {
        return auditJsonKeyedBy("record-key", extra);
    }

    /** Runs {@code dedup-audit audit --json --key key} with the fixture's other settings and {@code extra}. */
    Run auditJsonKeyedBy(String key, String... extra) {
        List<String> args = new ArrayList<>(List.of("audit"));
        args.addAll(settings(key));
        args.add("--json");
        args.addAll(List.of(extra));
        Run run = run(args.toArray(new String[0]));
        try {
            return new Run(run.exitCode(), run.out(), run.err(), AuditCommand.mapper().readTree(run.out()));
        } catch (IOException e) {
            throw new IllegalStateException("not JSON (exit " + run.exitCode() + ", stderr " + run.err() + "): "
                    + run.out(), e);
        }
    }

    /** Runs one {@code dedup-audit} command line in-process. */
    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = DedupAuditCommand.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString(), null);
    }

    /** What a command line printed and returned. */
    record Run(int exitCode, String out, String err, JsonNode json) {
        List<String> keys(String findings) {
            List<String> keys = new ArrayList<>();
            json.get(findings).forEach(f -> keys.add(f.get("key").asText()));
            return keys;
        }

        long records(String outcome) {
            JsonNode n = json.get("records").get(outcome);
            return n == null ? 0 : n.asLong();
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        producer.close();
        dataSource.close();
        Files.deleteIfExists(passwordFile);
    }
}
