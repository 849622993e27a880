package io.dedupconsumer.jdbc;

import static io.dedupconsumer.jdbc.DedupTableRows.age;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.Effects;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Which clock ages a key: the database's, for the claim's {@code processed_at} and for the purge's cutoff alike, so
 * that no application clock (behind, ahead, or two instances disagreeing) and no session time zone can make a key
 * look older than it is, and no window, however long, computes a cutoff that deletes young keys.
 */
class DedupRetentionClockTests {

    private static final Duration WEEK = Duration.ofDays(7);

    private final List<HikariDataSource> opened = new ArrayList<>();
    private long offset;



    @AfterEach
    void close() {
        opened.forEach(HikariDataSource::close);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#oneDriverEach")
    void noWindowTheBuilderAcceptsDeletesAKeyYoungerThanIt(TestDatabase database) throws SQLException {
        HikariDataSource dataSource = schema(database, null);
        Deduplicator deduplicator = deduplicator(dataSource);
        for (String key : List.of("fresh", "two-days", "fifty-years")) {
            assertThat(deduplicator.process(record(key), insertEffect).outcome()).isEqualTo(Outcome.PROCESSED);
        }
        age(dataSource, DedupTable.DEFAULT_NAME, "two-days", Duration.ofDays(2));
        age(dataSource, DedupTable.DEFAULT_NAME, "fifty-years", Duration.ofDays(365L * 50));

        // "Keep forever", spelled every way a user might: none may delete a key, none may throw.
        for (Duration window : List.of(Duration.ofDays(365L * 100), Duration.ofDays(365 * 1_000),
                Duration.ofDays(365L * 10_000), Duration.ofDays(365L * 1_000_000), ChronoUnit.FOREVER.getDuration(),
                Duration.ofSeconds(Long.MAX_VALUE))) {
            PurgeResult result = retention(dataSource, window).purgeOnce();
            assertThat(result.deleted()).as("keys deleted with a window of %s", window).isZero();
            assertThat(result.complete()).isTrue();
        }
        assertThat(Effects.perKey(dataSource)).containsOnlyKeys("fresh", "two-days", "fifty-years");
        for (String key : List.of("fresh", "two-days", "fifty-years")) {
            assertThat(deduplicator.process(record(key), insertEffect).outcome()).isEqualTo(Outcome.DUPLICATE);
        }

        // And the arithmetic still deletes what is older than a long window.
        assertThat(retention(dataSource, Duration.ofDays(365L * 49)).purgeOnce().deleted()).isEqualTo(1);
        assertThat(retention(dataSource, Duration.ofDays(1)).purgeOnce().deleted()).isEqualTo(1);
        assertThat(deduplicator.process(record("fresh"), insertEffect).outcome()).isEqualTo(Outcome.DUPLICATE);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void sessionTimeZonesFarApartNeverAgeAFreshKey(TestDatabase database) throws SQLException {
        // Claims and purges through sessions in time zones 25 hours apart; no application clock takes part at all.
        String name = database.createDatabase("retention_clock");
        HikariDataSource claims = pool(database, name, "-12:00");
        HikariDataSource purges = pool(database, name, "+13:00");
        migrate(claims);
        Deduplicator deduplicator = deduplicator(claims);
        assertThat(deduplicator.process(record("claimed-west"), insertEffect).outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(deduplicator(purges).process(record("claimed-east"), insertEffect).outcome())
                .isEqualTo(Outcome.PROCESSED);

        assertThat(retention(purges, WEEK).purgeOnce().deleted()).as("keys purged by a purge in another time zone").isZero();
        assertThat(retention(claims, WEEK).purgeOnce().deleted()).isZero();
        assertThat(deduplicator.process(record("claimed-west"), insertEffect).outcome()).isEqualTo(Outcome.DUPLICATE);
        assertThat(deduplicator.process(record("claimed-east"), insertEffect).outcome()).isEqualTo(Outcome.DUPLICATE);
        assertThat(Effects.perKey(claims)).containsOnly(Map.entry("claimed-west", 1), Map.entry("claimed-east", 1));

        // Aged on the database's clock, a key does go once it is older than the window.
        age(claims, DedupTable.DEFAULT_NAME, "claimed-west", WEEK.plusMinutes(1));
        assertThat(retention(purges, WEEK).purgeOnce().deleted()).isEqualTo(1);
        assertThat(deduplicator.process(record("claimed-east"), insertEffect).outcome()).isEqualTo(Outcome.DUPLICATE);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void aClaimThatCommitsWhileAPurgeRunsIsNotDeletedByItNorByTheNext(TestDatabase database) throws Exception {
        HikariDataSource dataSource = schema(database, null);
        // The window is the shortest the builder accepts.
        Deduplicator claimant = deduplicator(dataSource);
        DedupRetention retention = retention(dataSource, Duration.ofMinutes(1));
        CountDownLatch claimed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RecordHandler<String, String> slowHandler = (record, connection) -> {
            insertEffect.handle(record, connection);
            claimed.countDown();
            assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
            return HandlerResult.processed();
        };

        CompletableFuture<DedupResult> claim = CompletableFuture.supplyAsync(() -> claimant.process(record("e-1"), slowHandler));
        assertThat(claimed.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<PurgeResult> purge = CompletableFuture.supplyAsync(() -> {
            try {
                return retention.purgeOnce();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        // The purge's statement has run while the claim is open: it is done, or it waits for the claim's row lock.
        await().atMost(Duration.ofSeconds(10)).until(() -> purge.isDone() || purgeWaitsForALock(dataSource));
        release.countDown();

        assertThat(claim.get(10, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(purge.get(10, TimeUnit.SECONDS).deleted()).as("deleted by the purge the claim committed under").isZero();
        assertThat(retention.purgeOnce().deleted()).as("deleted by the next purge").isZero();
        assertThat(claimant.process(record("e-1"), insertEffect).outcome()).isEqualTo(Outcome.DUPLICATE);
        assertThat(Effects.perKey(dataSource)).containsOnly(Map.entry("e-1", 1));
    }

    private final RecordHandler<String, String> insertEffect = (record, connection) -> {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO effect VALUES (?)")) {
            insert.setString(1, record.key());
            insert.executeUpdate();
        }
        return HandlerResult.processed();
    };

    private ConsumerRecord<String, String> record(String key) {
        return new ConsumerRecord<>("stock-events", 0, offset++, key, "{\"sku\":\"A\",\"quantity\":1}");
    }

    private static Deduplicator deduplicator(DataSource dataSource) {
        return Deduplicator.builder().consumerName("stock").dataSource(dataSource).dedupKey(DedupKey.recordKey())
                .meterRegistry(new SimpleMeterRegistry()).build();
    }

    private static DedupRetention retention(DataSource dataSource, Duration window) {
        return DedupRetention.builder().dataSource(dataSource).window(window)
                .pauseBetweenBatches(Duration.ZERO).meterRegistry(new SimpleMeterRegistry()).build();
    }

    private HikariDataSource schema(TestDatabase database, String sessionTimeZone) throws SQLException {
        HikariDataSource dataSource = pool(database, database.createDatabase("retention_clock"), sessionTimeZone);
        migrate(dataSource);
        return dataSource;
    }

    private static void migrate(DataSource dataSource) throws SQLException {
        DedupSchema.migrate(dataSource);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE effect (event_key VARCHAR(100) NOT NULL)");
        }
    }

    /** A pool whose sessions run in {@code sessionTimeZone} (an offset such as {@code -12:00}), or the default. */
    private HikariDataSource pool(TestDatabase database, String name, String sessionTimeZone) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(database.jdbcUrl(name));
        config.setUsername(database.user());
        config.setPassword(database.password());
        config.setMaximumPoolSize(4);
        if (sessionTimeZone != null) {
            config.setConnectionInitSql(database.name().equals("postgresql")
                    ? "SET TIME ZONE INTERVAL '" + sessionTimeZone + "' HOUR TO MINUTE"
                    : "SET time_zone = '" + sessionTimeZone + "'");
        }
        HikariDataSource dataSource = new HikariDataSource(config);
        opened.add(dataSource);
        return dataSource;
    }

    /** Whether a DELETE on the dedup table of this database waits for a row lock. */
    private static boolean purgeWaitsForALock(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            String sql = Dialect.detect(c) == Dialect.POSTGRESQL
                    ? "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            + "AND datname = current_database() AND query LIKE 'DELETE FROM dedup_record%'"
                    : "SELECT COUNT(*) FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p "
                            + "ON p.ID = t.trx_mysql_thread_id WHERE t.trx_state = 'LOCK WAIT' AND p.DB = DATABASE() "
                            + "AND t.trx_query LIKE 'DELETE FROM dedup_record%'";
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1) > 0;
            }
        }
    }
}
