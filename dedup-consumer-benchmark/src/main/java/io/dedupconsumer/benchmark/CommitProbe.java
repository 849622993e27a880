package io.dedupconsumer.benchmark;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.StringJoiner;

/**
 * The database's own bounds, measured in every repetition of the run, next to the consumers: durable single-row transactions per second
 * on one connection (no per-record-transaction consumer can beat it) and rows per second with
 * {@value #BULK_ROWS}-row inserts per transaction (what batching approaches). Both insert into a table with a
 * unique key, as a claim does.
 */
final class CommitProbe {

    static final int BULK_ROWS = 500;

    private CommitProbe() {
    }

    /** The two bounds of one database, measured in one repetition. */
    record CommitRate(Database database, int repetition, double transactionsPerSecond, double bulkRowsPerSecond) {
    }

    static CommitRate measure(Database database, int repetition, Duration duration) throws SQLException {
        try (ScenarioDatabase db = ScenarioDatabase.create(database, "bench_commit_probe", 1, "");
                Connection connection = db.dataSource().getConnection()) {
            try (Statement ddl = connection.createStatement()) {
                ddl.execute("CREATE TABLE probe (k VARCHAR(64) PRIMARY KEY, v BIGINT NOT NULL)");
            }
            long next = 0;
            long transactions = 0;
            long started = System.nanoTime();
            long end = started + duration.toNanos();
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO probe (k, v) VALUES (?, ?)")) {
                while (System.nanoTime() < end) {
                    insert.setString(1, "single-" + next);
                    insert.setLong(2, next++);
                    insert.executeUpdate();
                    transactions++;
                }
            }
            double transactionsPerSecond = transactions * 1e9 / (System.nanoTime() - started);

            StringJoiner rows = new StringJoiner(", ", "INSERT INTO probe (k, v) VALUES ", "");
            for (int i = 0; i < BULK_ROWS; i++) {
                rows.add("(?, ?)");
            }
            long inserted = 0;
            connection.setAutoCommit(false);
            started = System.nanoTime();
            end = started + duration.toNanos();
            try (PreparedStatement insert = connection.prepareStatement(rows.toString())) {
                while (System.nanoTime() < end) {
                    for (int i = 0; i < BULK_ROWS; i++) {
                        insert.setString(2 * i + 1, "bulk-" + next);
                        insert.setLong(2 * i + 2, next++);
                    }
                    insert.executeUpdate();
                    connection.commit();
                    inserted += BULK_ROWS;
                }
            } finally {
                connection.setAutoCommit(true);
            }
            return new CommitRate(database, repetition, transactionsPerSecond,
                    inserted * 1e9 / (System.nanoTime() - started));
        }
    }
}
