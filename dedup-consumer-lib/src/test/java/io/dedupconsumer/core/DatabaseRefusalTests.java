package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.jdbc.DedupSchema;
import io.dedupconsumer.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A database that refuses the consumer's work whatever the record — the dedup table missing or misnamed, a read-only
 * database, a user without INSERT, a column missing — is an outage ({@link DatabaseUnavailableException.Reason#REFUSED}),
 * never a failure of the record that a runner would dead-letter after its attempts; and what can be checked before the
 * first record is refused by {@link Deduplicator#checkDatabase()} with what to do.
 */
class DatabaseRefusalTests {

    private static final RecordHandler<String, String> NOOP = (r, c) -> HandlerResult.processed();

    private final List<AutoCloseable> opened = new ArrayList<>();


    @AfterEach
    void close() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void aMissingTableIsAnOutageNotAFailureOfTheRecord(TestDatabase database) {
        HikariDataSource dataSource = open(database.create("missing"));
        Deduplicator dedup = deduplicator(dataSource, "dedup_record"); // never migrated

        assertRefused(dedup, "does not exist", "DedupSchema.migrate");
    }

    /** What a failover to a replica (or a standby, or a read-only default) looks like to the consumer's connections. */
    static Stream<Arguments> readOnlySessions() {
        return Stream.of(Arguments.of(TestDatabase.mariadb(), "SET SESSION TRANSACTION READ ONLY"),
                Arguments.of(TestDatabase.mariadb(), "SET SESSION tx_read_only = 1"),
                Arguments.of(TestDatabase.postgresql(), "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"),
                Arguments.of(TestDatabase.postgresql(), "SET default_transaction_read_only = on"));
    }

    @ParameterizedTest
    @MethodSource("readOnlySessions")
    void aReadOnlyDatabaseIsAnOutageNotAPoisonRecord(TestDatabase database, String readOnly) {
        String name = database.createDatabase("readonly");
        DedupSchema.migrate(open(database.dataSource(name)));
        Deduplicator dedup = deduplicator(open(pool(database, name, database.user(), readOnly)), "dedup_record");

        assertRefused(dedup, "read-only", "primary");
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void aUserWithoutInsertIsAnOutageAndIsRefusedAtStart(TestDatabase database) throws SQLException {
        String name = database.createDatabase("denied");
        HikariDataSource admin = open(database.dataSource(name));
        DedupSchema.migrate(admin);
        String user = name.replace("denied", "reader");
        if (database == TestDatabase.mariadb()) {
            execute(admin, "CREATE USER '" + user + "'@'%'", "GRANT SELECT ON `" + name + "`.* TO '" + user + "'@'%'");
            opened.add(() -> execute(admin, "DROP USER '" + user + "'@'%'"));
        } else {
            execute(admin, "CREATE ROLE " + user + " LOGIN", "GRANT USAGE ON SCHEMA " + name + " TO " + user,
                    "GRANT SELECT ON " + name + ".dedup_record TO " + user);
            opened.add(() -> execute(admin, "DROP OWNED BY " + user, "DROP ROLE " + user));
        }
        Deduplicator dedup = deduplicator(open(pool(database, name, user, null)), "dedup_record");

        assertRefused(dedup, "permission denied", "INSERT");
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void aTableWithoutAColumnTheLibraryWritesIsAnOutageAndIsRefusedAtStart(TestDatabase database) throws SQLException {
        HikariDataSource dataSource = open(database.create("column"));
        DedupSchema.migrate(dataSource);
        execute(dataSource, "ALTER TABLE dedup_record DROP COLUMN source_topic");
        Deduplicator dedup = deduplicator(dataSource, "dedup_record");

        assertRefused(dedup, "column");
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void aReservedWordAsTableNameIsRefusedAtStart(TestDatabase database) {
        HikariDataSource dataSource = open(database.create("reserved"));
        for (String reserved : List.of("order", "select")) {
            Deduplicator dedup = deduplicator(dataSource, reserved); // a valid identifier, unusable unquoted

            assertRefused(dedup, "reserved word", "'" + reserved + "'");
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void aTableWithoutTheUniqueIndexIsRefusedAtStart(TestDatabase database) throws SQLException {
        HikariDataSource dataSource = open(database.create("nounique"));
        DedupSchema.migrate(dataSource);
        execute(dataSource, "CREATE TABLE loose AS SELECT * FROM dedup_record"); // the columns, not the primary key

        assertThatThrownBy(deduplicator(dataSource, "loose")::checkDatabase).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unique index");
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void aUsableTablePassesTheStartUpCheckAndKeepsNoTrace(TestDatabase database) throws SQLException {
        HikariDataSource dataSource = open(database.create("usable"));
        DedupSchema.migrate(dataSource);
        Deduplicator dedup = deduplicator(dataSource, "dedup_record");

        dedup.checkDatabase();
        dedup.checkDatabase();

        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                var rs = s.executeQuery("SELECT COUNT(*) FROM dedup_record")) {
            rs.next();
            assertThat(rs.getLong(1)).isZero();
        }
        assertThat(dedup.process(new ConsumerRecord<>("orders", 0, 0, "k1", "v"), NOOP).outcome())
                .isEqualTo(Outcome.PROCESSED);
    }

    /**
     * Both paths, one record and a batch, report the refusal as an outage with the advice, never as the record's; and
     * the start-up check refuses with the advice and what else it must say.
     */
    private static void assertRefused(Deduplicator dedup, String advice, String... alsoAtStart) {
        assertThatThrownBy(dedup::checkDatabase).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot start").hasMessageContaining(advice)
                .satisfies(e -> assertThat(e.getMessage()).contains(Stream.concat(Stream.of(advice),
                        Stream.of(alsoAtStart)).toList()));
        assertThatThrownBy(() -> dedup.process(new ConsumerRecord<>("orders", 0, 0, "k1", "v"), NOOP))
                .isInstanceOfSatisfying(DatabaseUnavailableException.class,
                        e -> assertThat(e.reason()).isEqualTo(DatabaseUnavailableException.Reason.REFUSED))
                .hasMessageContaining(advice).hasMessageContaining("never dead-letter");
        BatchResult batch = dedup.processBatch(List.of(new ConsumerRecord<>("orders", 0, 1, "k2", "v"),
                new ConsumerRecord<>("orders", 0, 2, "k3", "v")), NOOP);
        assertThat(batch.failedIndex()).isZero();
        assertThat(batch.failure()).isInstanceOfSatisfying(DatabaseUnavailableException.class,
                e -> assertThat(e.reason()).isEqualTo(DatabaseUnavailableException.Reason.REFUSED));
    }

    private static Deduplicator deduplicator(DataSource dataSource, String table) {
        return Deduplicator.builder().consumerName("orders").dataSource(dataSource).table(table)
                .dedupKey(DedupKey.recordKey()).build();
    }

    private static HikariDataSource pool(TestDatabase database, String name, String user, String initSql) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(database.jdbcUrl(name));
        config.setUsername(user);
        config.setPassword(user.equals(database.user()) ? database.password() : "");
        config.setMaximumPoolSize(2);
        config.setConnectionTimeout(2_000);
        if (initSql != null) {
            config.setConnectionInitSql(initSql);
        }
        return new HikariDataSource(config);
    }

    private HikariDataSource open(HikariDataSource dataSource) {
        opened.add(dataSource);
        return dataSource;
    }

    private static void execute(DataSource dataSource, String... sqls) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            for (String sql : sqls) {
                s.execute(sql);
            }
        }
    }
}
