package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.jdbc.DedupSchema;
import io.dedupconsumer.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * The MariaDB server through both MySQL drivers users run. MariaDB Connector/J logs every error the server sends at
 * WARN with the server's text, which for a duplicate key is the key itself ({@code Duplicate entry
 * 'orders-service-e-1' for key 'PRIMARY'}): a duplicate must therefore never be an error on the server, in either
 * mode, and a race between two claimants must still end with one effect.
 */
class MySqlDriversTests {

    private static final String CONSUMER = "orders-service";

    private final List<HikariDataSource> opened = new ArrayList<>();
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private long nextOffset;

    static Stream<Arguments> driversAndModes() {
        return Stream.of(
                Arguments.of(TestDatabase.mariadb(), "record"),
                Arguments.of(TestDatabase.mariadb(), "batch"),
                Arguments.of(TestDatabase.mariadbDriver(), "record"),
                Arguments.of(TestDatabase.mariadbDriver(), "batch"));
    }

    @BeforeEach
    void captureLogs() {
        logged.start();
        root.addAppender(logged);
    }

    @AfterEach
    void stopCapturing() {
        root.detachAppender(logged);
        opened.forEach(HikariDataSource::close);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("driversAndModes")
    void aDuplicateLogsNothingWithEitherDriver(TestDatabase database, String mode) throws Exception {
        HikariDataSource dataSource = migrated(database);
        Deduplicator dedup = deduplicator(dataSource);

        // Duplicate-free batches first: a batch meeting a held key after them is where a claim used to provoke one.
        assertThat(process(dedup, mode, record("e-1"), record("e-2"))).containsOnly(Outcome.PROCESSED);
        assertThat(process(dedup, mode, record("e-3"))).containsOnly(Outcome.PROCESSED);
        assertThat(process(dedup, mode, record("e-4"), record("e-1"))).containsExactly(Outcome.PROCESSED, Outcome.DUPLICATE);
        assertThat(process(dedup, mode, record("e-1"))).containsExactly(Outcome.DUPLICATE);

        assertThat(warningsNaming("e-1")).isEmpty();
        if (database == TestDatabase.mariadbDriver()) {
            // The capture does see the driver: the same key provoked by hand is logged, key and all.
            provokeDuplicate(dataSource, "e-1");
            assertThat(warningsNaming("e-1")).singleElement().asString().contains("Duplicate entry");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("driversAndModes")
    void concurrentClaimsOfOneKeyEndInExactlyOneProcessedWithEitherDriver(TestDatabase database, String mode)
            throws Exception {
        int claimants = 4;
        HikariDataSource dataSource = migrated(database);
        Deduplicator dedup = deduplicator(dataSource);
        ExecutorService threads = Executors.newFixedThreadPool(claimants);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<Outcome>>> results = new ArrayList<>();
            for (int i = 0; i < claimants; i++) {
                ConsumerRecord<String, String> delivery = record("e-race");
                results.add(threads.submit(() -> {
                    start.await();
                    return process(dedup, mode, delivery);
                }));
            }
            start.countDown();
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<List<Outcome>> result : results) {
                outcomes.addAll(result.get(30, TimeUnit.SECONDS));
            }
            assertThat(outcomes).filteredOn(o -> o == Outcome.PROCESSED).hasSize(1);
            assertThat(outcomes).filteredOn(o -> o == Outcome.DUPLICATE).hasSize(claimants - 1);
            assertThat(count(dataSource, "SELECT COUNT(*) FROM effect")).isEqualTo(1);
            assertThat(count(dataSource, "SELECT COUNT(*) FROM dedup_record")).isEqualTo(1);
        } finally {
            threads.shutdownNow();
        }
    }

    private HikariDataSource migrated(TestDatabase database) throws SQLException {
        HikariDataSource dataSource = database.create("drivers");
        opened.add(dataSource);
        DedupSchema.migrate(dataSource);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE effect (event_key VARCHAR(300) NOT NULL)");
        }
        return dataSource;
    }

    private static Deduplicator deduplicator(HikariDataSource dataSource) {
        return Deduplicator.builder().consumerName(CONSUMER).dedupKey(DedupKey.recordKey()).dataSource(dataSource)
                .build();
    }

    private static final RecordHandler<String, String> INSERT_EFFECT = (record, connection) -> {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO effect VALUES (?)")) {
            insert.setString(1, record.key());
            insert.executeUpdate();
        }
        return HandlerResult.processed();
    };

    @SafeVarargs
    private static List<Outcome> process(Deduplicator dedup, String mode, ConsumerRecord<String, String>... records) {
        if (mode.equals("record")) {
            return Stream.of(records).map(r -> dedup.process(r, INSERT_EFFECT).outcome()).toList();
        }
        BatchResult batch = dedup.processBatch(List.of(records), INSERT_EFFECT);
        if (!batch.complete()) {
            throw batch.failure();
        }
        return batch.results().stream().map(DedupResult::outcome).toList();
    }

    private ConsumerRecord<String, String> record(String key) {
        return new ConsumerRecord<>("orders", 0, nextOffset++, key, "paid 10");
    }

    private List<String> warningsNaming(String key) {
        return logged.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(key)).toList();
    }

    /** A plain INSERT of a held key, outside the library: the error a claim must never provoke. */
    private static void provokeDuplicate(HikariDataSource dataSource, String key) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement insert = c.prepareStatement(
                "INSERT INTO dedup_record (consumer_name, dedup_key, fingerprint, outcome, source_topic, "
                        + "source_partition, source_offset, processed_at) VALUES (?, ?, ?, 'PROCESSED', 'orders', 0, 0, "
                        + "UTC_TIMESTAMP(3))")) {
            insert.setString(1, CONSUMER);
            insert.setString(2, key);
            insert.setBytes(3, new byte[32]);
            insert.executeUpdate();
        } catch (SQLException expected) {
            assertThat(expected.getSQLState()).startsWith("23");
            return;
        }
        throw new AssertionError("the INSERT of a held key succeeded");
    }

    private static long count(HikariDataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
