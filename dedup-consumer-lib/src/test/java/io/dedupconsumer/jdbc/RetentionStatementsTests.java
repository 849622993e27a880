package io.dedupconsumer.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.Databases;
import io.dedupconsumer.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The retention's statements (the database's clock and the bounded delete) and the schema migration, run against
 * every database the library supports: H2, the real MariaDB server through both MySQL drivers, and PostgreSQL.
 */
class RetentionStatementsTests {

    private static final String TABLE = DedupTable.DEFAULT_NAME;

    @RegisterExtension
    final Databases databases = new Databases();



    private HikariDataSource migrated(TestDatabase database) {
        return databases.migrated(database, "retention");
    }

    private static RetentionStatements statements(HikariDataSource dataSource) {
        return new RetentionStatements(dataSource, TABLE, null);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void purgeDeletesOnlyRowsOlderThanTheCutoffInBoundedBatches(TestDatabase database) throws SQLException {
        HikariDataSource dataSource = migrated(database);
        DedupTableRows.insert(dataSource, TABLE, "orders", "old", 25, Duration.ofDays(8));
        DedupTableRows.insert(dataSource, TABLE, "orders", "recent", 5, Duration.ofHours(1));
        try (Connection c = dataSource.getConnection()) {
            RetentionStatements sql = statements(dataSource);
            Instant cutoff = sql.cutoff(c, Duration.ofDays(7));
            assertThat(sql.purge(c, cutoff, 10)).isEqualTo(10);
            assertThat(sql.purge(c, cutoff, 10)).isEqualTo(10);
            assertThat(sql.purge(c, cutoff, 10)).isEqualTo(5);
            assertThat(sql.purge(c, cutoff, 10)).isZero();
        }
        assertThat(DedupTableRows.countWithPrefix(dataSource, TABLE, "recent")).isEqualTo(5);
        assertThat(DedupTableRows.count(dataSource, TABLE)).isEqualTo(5);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void processedAtIsTheDatabasesTimeOfTheClaimToTheMillisecondTheClockThePurgeCutoffReads(TestDatabase database)
            throws SQLException {
        HikariDataSource dataSource = migrated(database);
        try (Connection c = dataSource.getConnection()) {
            RetentionStatements sql = statements(dataSource);
            Instant before = sql.cutoff(c, Duration.ofMinutes(1)).plus(Duration.ofMinutes(1));
            DedupTableRows.insert(dataSource, TABLE, "orders", "order", 1, Duration.ZERO);
            Instant after = sql.cutoff(c, Duration.ofMinutes(1)).plus(Duration.ofMinutes(1));
            Instant processedAt = processedAt(c, Dialect.detect(c));
            assertThat(processedAt).isBetween(before, after);
            // Nothing older than the claim itself: a cutoff a millisecond after it deletes it, one at it does not.
            assertThat(sql.purge(c, processedAt, 10)).isZero();
            assertThat(sql.purge(c, processedAt.plus(1, ChronoUnit.MILLIS), 10)).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aWindowReachingBackBeforeTheYear1000KeepsEveryKeyAndRunsNoDelete(TestDatabase database) throws SQLException {
        HikariDataSource dataSource = migrated(database);
        DedupTableRows.insert(dataSource, TABLE, "orders", "order", 1, Duration.ZERO);
        try (Connection c = dataSource.getConnection()) {
            RetentionStatements sql = statements(dataSource);
            assertThat(sql.cutoff(c, Duration.ofDays(365L * 1_100))).isEqualTo(Instant.MIN);
            assertThat(sql.cutoff(c, ChronoUnit.FOREVER.getDuration())).isEqualTo(Instant.MIN);
            assertThat(sql.cutoff(c, Duration.ofDays(365L * 900))).isAfter(Instant.parse("1000-01-01T00:00:00Z"));
            assertThat(sql.purge(c, Instant.MIN, 10)).isZero();
        }
        assertThat(DedupTableRows.count(dataSource, TABLE)).isEqualTo(1);
    }

    /** The one row's processed_at, read exactly: text on MySQL (a UTC DATETIME), with its offset elsewhere. */
    private static Instant processedAt(Connection c, Dialect dialect) throws SQLException {
        // Formatted by the server on MySQL: MariaDB Connector/J renders DATETIME(3) milliseconds .006 as ".6000".
        String column = dialect == Dialect.MYSQL ? "DATE_FORMAT(processed_at, '%Y-%m-%dT%H:%i:%s.%f')" : "processed_at";
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT " + column + " FROM " + TABLE)) {
            rs.next();
            if (dialect == Dialect.MYSQL) {
                return LocalDateTime.parse(rs.getString(1)).toInstant(ZoneOffset.UTC);
            }
            return rs.getObject(1, OffsetDateTime.class).toInstant();
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void migrationRunsOnceBesideTheApplicationsOwnTables(TestDatabase database) throws SQLException {
        HikariDataSource dataSource = databases.create(database, "schema");
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE stock (sku VARCHAR(20) PRIMARY KEY, available INT NOT NULL)");
        }
        assertThat(DedupSchema.migrate(dataSource)).isEqualTo(1);
        assertThat(DedupSchema.migrate(dataSource)).isZero();
        assertThat(DedupTableRows.count(dataSource, TABLE)).isZero();
    }
}
