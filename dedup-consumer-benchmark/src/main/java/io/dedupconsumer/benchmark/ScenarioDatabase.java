package io.dedupconsumer.benchmark;

import com.zaxxer.hikari.HikariConfig;
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
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fresh database (a schema on PostgreSQL) for one measured run: the accounts, an empty ledger and an empty dedup
 * table created by the library's own migration, behind a pool with a connection per consumer thread. Closing it
 * drops the database, so a long benchmark does not leave hundreds behind.
 */
final class ScenarioDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ScenarioDatabase.class);

    private final Database database;
    private final String name;
    private final HikariDataSource pool;

    private ScenarioDatabase(Database database, String name, HikariDataSource pool) {
        this.database = database;
        this.name = name;
        this.pool = pool;
    }

    /**
     * Creates the database and its tables and opens {@code connections} pooled connections to it.
     *
     * @param urlParameters extra JDBC URL parameters, e.g. {@code rewriteBatchedStatements=true}, or empty
     */
    static ScenarioDatabase create(Database database, String prefix, int connections, String urlParameters) {
        TestDatabase server = database.server();
        String name = server.createDatabase(prefix);
        HikariConfig config = new HikariConfig();
        config.setPoolName("bench-" + name);
        config.setJdbcUrl(server.jdbcUrl(name) + (urlParameters.isEmpty() ? "" : "&" + urlParameters));
        config.setUsername(server.user());
        config.setPassword(server.password());
        // Flyway takes two connections while it migrates; the consumers then use one each.
        config.setMaximumPoolSize(Math.max(2, connections));
        config.setMinimumIdle(connections);
        ScenarioDatabase created = new ScenarioDatabase(database, name, new HikariDataSource(config));
        try {
            created.createTables();
            created.openConnections(connections);
        } catch (SQLException | RuntimeException e) {
            created.close();
            throw new IllegalStateException("cannot prepare " + database.label() + " database " + name, e);
        }
        return created;
    }

    /** Drops the dedup table's {@code processed_at} index, which only the retention's purge reads. */
    void dropClaimTimeIndex() throws SQLException {
        try (Connection connection = pool.getConnection(); Statement ddl = connection.createStatement()) {
            ddl.execute(database == Database.MARIADB ? "DROP INDEX dedup_record_processed_at ON dedup_record"
                    : "DROP INDEX dedup_record_processed_at");
        }
    }

    DataSource dataSource() {
        return pool;
    }

    Database database() {
        return database;
    }

    private void createTables() throws SQLException {
        DedupSchema.migrate(pool, database.dialect());
        try (Connection connection = pool.getConnection(); Statement ddl = connection.createStatement()) {
            if (database == Database.MARIADB) {
                ddl.execute("CREATE TABLE account (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL) ENGINE = InnoDB");
                ddl.execute("CREATE TABLE ledger (id BIGINT AUTO_INCREMENT PRIMARY KEY, event_id VARCHAR(64) NOT NULL, "
                        + "account_id BIGINT NOT NULL, amount BIGINT NOT NULL) ENGINE = InnoDB");
            } else {
                ddl.execute("CREATE TABLE account (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)");
                ddl.execute("CREATE TABLE ledger (id BIGSERIAL PRIMARY KEY, event_id VARCHAR(64) NOT NULL, "
                        + "account_id BIGINT NOT NULL, amount BIGINT NOT NULL)");
            }
            connection.setAutoCommit(false);
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO account (id, balance) VALUES (?, 0)")) {
                for (int account = 0; account < WorkloadProducer.ACCOUNTS; account++) {
                    insert.setLong(1, account);
                    insert.addBatch();
                }
                insert.executeBatch();
                connection.commit();
            } finally {
                connection.setAutoCommit(true);
            }
        }
    }

    /** Takes every connection once, so the pool is full before the clock starts. */
    private void openConnections(int connections) throws SQLException {
        List<Connection> open = new ArrayList<>(connections);
        try {
            for (int i = 0; i < connections; i++) {
                open.add(pool.getConnection());
            }
        } finally {
            for (Connection connection : open) {
                connection.close();
            }
        }
    }

    /** What the run left behind: ledger rows, the accounts' total balance and dedup rows. */
    Totals totals() throws SQLException {
        try (Connection connection = pool.getConnection(); Statement query = connection.createStatement()) {
            return new Totals(single(query, "SELECT COUNT(*) FROM ledger"),
                    single(query, "SELECT COALESCE(SUM(balance), 0) FROM account"),
                    single(query, "SELECT COUNT(*) FROM dedup_record"));
        }
    }

    private static long single(Statement query, String sql) throws SQLException {
        try (ResultSet rs = query.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() {
        try (Connection connection = pool.getConnection(); Statement drop = connection.createStatement()) {
            drop.execute(database == Database.MARIADB ? "DROP DATABASE `" + name + "`"
                    : "DROP SCHEMA \"" + name + "\" CASCADE");
        } catch (SQLException e) {
            log.warn("Could not drop {} database {} (the testkit drops it at exit): {}", database.label(), name,
                    e.getMessage());
        } finally {
            pool.close();
        }
    }

    /** Rows and sums read back after a run, to check it. */
    record Totals(long ledgerRows, long balance, long dedupRows) {
    }
}
