package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.jdbc.DedupRetention;
import io.dedupconsumer.jdbc.PurgeResult;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional day-partitioned MySQL table ({@code sql/mysql-partitioned}) on the real MariaDB: a day of keys goes
 * with one DROP PARTITION, and the caveat: the partition day must come from the dedup key (the event's own date);
 * taken from the processing time, a redelivery claimed on another day while the first claim is open passes as new.
 */
class PartitionedDedupTableTests {

    private static final Logger log = LoggerFactory.getLogger(PartitionedDedupTableTests.class);
    private static final String DDL = "db/dedup/mysql-partitioned/dedup_record_partitioned.sql";
    private static final String DUE_PARTITIONS = "db/dedup/mysql-partitioned/due_partitions.sql";
    private static final String KEY_DAY_FROM_KEY = "CAST(LEFT(dedup_key, 10) AS DATE)";
    private static final Instant MONDAY = Instant.parse("2026-11-24T09:00:00Z");
    private static final Instant TUESDAY = Instant.parse("2026-11-25T09:00:00Z");

    private HikariDataSource dataSource;
    private final List<HikariDataSource> sessionClockPools = new ArrayList<>();
    private long offset;

    @AfterEach
    void closePool() {
        sessionClockPools.forEach(HikariDataSource::close);
        if (dataSource != null) {
            dataSource.close();
        }
    }

    @Test
    void dropPartitionPurgesADayOfKeysAndRedeliveriesOnLaterDaysStayDuplicates() throws Exception {
        dataSource = partitionedTable(ddl());
        execute("ALTER TABLE dedup_record REORGANIZE PARTITION p20261124 INTO ("
                        + "PARTITION p20261122 VALUES LESS THAN ('2026-11-23'), "
                        + "PARTITION p20261123 VALUES LESS THAN ('2026-11-24'), "
                        + "PARTITION p20261124 VALUES LESS THAN ('2026-11-25'))",
                "ALTER TABLE dedup_record REORGANIZE PARTITION pmax INTO ("
                        + "PARTITION p20261125 VALUES LESS THAN ('2026-11-26'), "
                        + "PARTITION pmax VALUES LESS THAN (MAXVALUE))");
        Deduplicator monday = deduplicator(MONDAY);
        Deduplicator tuesday = deduplicator(TUESDAY);
        for (String day : new String[] {"2026-11-22", "2026-11-23", "2026-11-24"}) {
            for (int i = 0; i < 500; i++) {
                assertThat(monday.process(record(day + "/order-" + i), noEffect()).outcome()).isEqualTo(Outcome.PROCESSED);
            }
        }
        assertThat(rowsIn("p20261122")).isEqualTo(500);
        assertThat(rowsIn("p20261123")).isEqualTo(500);
        assertThat(rowsIn("p20261124")).isEqualTo(500);

        // Redelivered a day later: the key's day is the event's, so it meets its first claim in the same partition.
        assertThat(tuesday.process(record("2026-11-23/order-7"), noEffect()).outcome()).isEqualTo(Outcome.DUPLICATE);

        long start = System.nanoTime();
        execute("SET SESSION lock_wait_timeout = 5", "ALTER TABLE dedup_record DROP PARTITION p20261122");
        log.info("DROP PARTITION of a day of 500 keys took {} ms", (System.nanoTime() - start) / 1_000_000);

        assertThat(partitions()).isEqualTo("p20261123,p20261124,p20261125,pmax");
        assertThat(count("SELECT COUNT(*) FROM dedup_record")).isEqualTo(1_000);
        assertThat(count("SELECT COUNT(*) FROM dedup_record WHERE key_day = '2026-11-22'")).isZero();
        assertThat(tuesday.process(record("2026-11-24/order-7"), noEffect()).outcome()).isEqualTo(Outcome.DUPLICATE);
        assertThat(tuesday.process(record("2026-11-25/order-1"), noEffect()).outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(rowsIn("p20261125")).isEqualTo(1);
    }

    @Test
    void dedupRetentionStillPurgesThePartitionedTableByProcessingTime() throws Exception {
        dataSource = partitionedTable(ddl());
        Deduplicator monday = deduplicator(MONDAY);
        for (int i = 0; i < 250; i++) {
            monday.process(record("2026-11-24/order-" + i), noEffect());
        }
        deduplicator(TUESDAY).process(record("2026-11-24/order-late"), noEffect());

        PurgeResult result = DedupRetention.builder().dataSource(databaseClockAt(TUESDAY)).window(Duration.ofHours(12))
                .batchSize(100).pauseBetweenBatches(Duration.ZERO).meterRegistry(new SimpleMeterRegistry()).build()
                .purgeOnce();

        assertThat(result.deleted()).isEqualTo(250);
        assertThat(result.batches()).isEqualTo(3);
        assertThat(count("SELECT COUNT(*) FROM dedup_record")).isEqualTo(1);
    }

    @Test
    void theDuePartitionsQueryNamesOnlyDaysWhoseEveryKeyIsOlderThanTheWindowOnTheDatabasesUtcClock() throws Exception {
        dataSource = partitionedTable(ddl());
        execute("ALTER TABLE dedup_record REORGANIZE PARTITION p20261124 INTO ("
                        + "PARTITION p20261122 VALUES LESS THAN ('2026-11-23'), "
                        + "PARTITION p20261123 VALUES LESS THAN ('2026-11-24'), "
                        + "PARTITION p20261124 VALUES LESS THAN ('2026-11-25'))");
        String query = Arrays.stream(statements(resource(DUE_PARTITIONS))).filter(sql -> sql.contains("SELECT"))
                .findFirst().orElseThrow();
        // Tuesday 09:00 UTC on the database's clock, in a session 13 hours ahead of UTC (its local date is Tuesday too,
        // but 22:00): only UTC counts.
        HikariDataSource tuesday = sessionsStartingWith("SET time_zone = '+13:00', timestamp = " + TUESDAY.getEpochSecond());
        assertThat(due(tuesday, query, Duration.ofDays(2).toSeconds()))
                .as("every key of the 22nd is older than 2 days; the 23rd's last keys are not").containsExactly("p20261122");
        assertThat(due(tuesday, query, Duration.ofHours(24 + 9).toSeconds()))
                .as("exactly 33 h after the 23rd ended").containsExactly("p20261122", "p20261123");
        assertThat(due(tuesday, query, Duration.ofHours(24 + 9).toSeconds() + 1)).containsExactly("p20261122");
        for (long keepForever : new long[] {Duration.ofDays(365L * 100).toSeconds(),
                Duration.ofDays(365L * 10_000).toSeconds(), Long.MAX_VALUE}) {
            assertThat(due(tuesday, query, keepForever)).as("due with a window of %d s", keepForever).isEmpty();
        }
    }

    private static List<String> due(HikariDataSource dataSource, String query, long windowSeconds) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("SET @dedup_window_seconds = " + windowSeconds);
            try (ResultSet rs = s.executeQuery(query)) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        return names;
    }

    @Test
    void aKeyThatDoesNotStartWithADateIsRefusedNotStoredWhereUniquenessCannotHold() throws Exception {
        dataSource = partitionedTable(ddl());
        Deduplicator deduplicator = deduplicator(MONDAY);

        assertThatThrownBy(() -> deduplicator.process(record("order-7"), noEffect()))
                .isInstanceOf(RecordProcessingException.class)
                .rootCause().isInstanceOf(SQLException.class)
                .extracting(e -> ((SQLException) e).getSQLState()).asString()
                .as("a data exception (strict mode's cast error), never class 23 that could read as a duplicate")
                .startsWith("22");
        assertThat(count("SELECT COUNT(*) FROM dedup_record")).isZero();
    }

    @Test
    void caveatAPartitionDayTakenFromTheProcessingTimeLetsAClaimRacingAcrossMidnightPassAsNew() throws Exception {
        String byProcessingDay = ddl().replace(KEY_DAY_FROM_KEY, "DATE(processed_at)");
        assertThat(byProcessingDay).isNotEqualTo(ddl());
        dataSource = partitionedTable(byProcessingDay);
        execute("ALTER TABLE dedup_record REORGANIZE PARTITION pmax INTO ("
                + "PARTITION p20261125 VALUES LESS THAN ('2026-11-26'), PARTITION pmax VALUES LESS THAN (MAXVALUE))");
        ClaimStore store = new ClaimStore("dedup_record", null);
        ClaimRequest payment = new ClaimRequest("2026-11-24/payment-1", new byte[32], "payments", 0, 1);
        try (Connection monday = databaseClockAt(MONDAY).getConnection();
                Connection tuesday = databaseClockAt(TUESDAY).getConnection()) {
            monday.setAutoCommit(false);
            tuesday.setAutoCommit(false);
            assertThat(store.claim(monday, "payments", payment)).isEmpty();
            // The MySQL claim looks the key up first, but Monday's claim is not committed yet: Tuesday's INSERT goes
            // to another partition, where the unique key cannot see Monday's row.
            assertThat(store.claim(tuesday, "payments", payment)).as("the next day, racing: passes as new").isEmpty();
            monday.commit();
            tuesday.commit();
            assertThat(store.claim(tuesday, "payments", payment)).as("once committed, the look-up finds it").isPresent();
            tuesday.commit();
        }
        assertThat(count("SELECT COUNT(*) FROM dedup_record")).as("the key claimed twice").isEqualTo(2);
    }

    private HikariDataSource partitionedTable(String ddl) throws SQLException {
        HikariDataSource created = TestDatabase.mariadb().create("partitioned");
        dataSource = created;
        execute(statements(ddl));
        return created;
    }

    /** The statements of an SQL file, without its comment lines. */
    private static String[] statements(String sql) {
        return Arrays.stream(Arrays.stream(sql.split("\n"))
                .filter(line -> !line.trim().startsWith("--"))
                .collect(Collectors.joining("\n")).split(";"))
                .filter(statement -> !statement.isBlank()).toArray(String[]::new);
    }

    private static String ddl() throws IOException {
        String text = resource(DDL);
        assertThat(text).contains(KEY_DAY_FROM_KEY);
        return text;
    }

    private static String resource(String path) throws IOException {
        try (InputStream in = PartitionedDedupTableTests.class.getClassLoader().getResourceAsStream(path)) {
            assertThat(in).as(path + " on the class path").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A consumer processing on the day of {@code now}: its database sessions' clock reads {@code now}. */
    private Deduplicator deduplicator(Instant now) {
        return Deduplicator.builder().consumerName("payments").dataSource(databaseClockAt(now))
                .dedupKey(DedupKey.recordKey()).meterRegistry(new SimpleMeterRegistry()).build();
    }

    /**
     * A pool on the test's database whose sessions' clock stands at {@code now} (MariaDB's {@code SET timestamp}: it
     * moves {@code UTC_TIMESTAMP()}, the clock of {@code processed_at} and of the purge's cutoff).
     */
    private HikariDataSource databaseClockAt(Instant now) {
        return sessionsStartingWith("SET timestamp = " + now.getEpochSecond());
    }

    /** A pool on the test's database whose every session first runs {@code sql}; closed after the test. */
    private HikariDataSource sessionsStartingWith(String sql) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(dataSource.getJdbcUrl());
        config.setUsername(dataSource.getUsername());
        config.setPassword(dataSource.getPassword());
        config.setMaximumPoolSize(2);
        config.setConnectionInitSql(sql);
        HikariDataSource pool = new HikariDataSource(config);
        sessionClockPools.add(pool);
        return pool;
    }

    private ConsumerRecord<String, String> record(String key) {
        return new ConsumerRecord<>("payments", 0, offset++, key, "{\"amount\":100}");
    }

    private static RecordHandler<String, String> noEffect() {
        return (record, connection) -> HandlerResult.processed();
    }

    private long rowsIn(String partition) throws SQLException {
        return count("SELECT COUNT(*) FROM dedup_record PARTITION (" + partition + ")");
    }

    private String partitions() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT GROUP_CONCAT(PARTITION_NAME ORDER BY PARTITION_ORDINAL_POSITION) "
                        + "FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'dedup_record'")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private long count(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void execute(String... sqls) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            for (String sql : sqls) {
                s.execute(sql);
            }
        }
    }
}
