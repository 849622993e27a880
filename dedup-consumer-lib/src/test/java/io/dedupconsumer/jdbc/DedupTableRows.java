package io.dedupconsumer.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
import javax.sql.DataSource;

/**
 * Fills and counts a dedup table for the retention tests, with multi-row inserts stamped as a claim stamps them: by
 * the database's own clock ({@link Dialect#clock()}).
 */
final class DedupTableRows {

    private static final int ROWS_PER_TRANSACTION = 10_000;
    private static final int ROWS_PER_STATEMENT = 500;

    private DedupTableRows() {
    }

    /**
     * Claims {@code count} keys {@code prefix-0 ...}, 10,000 per transaction, then makes them {@code age} old on the
     * database's clock.
     */
    static void insert(DataSource dataSource, String table, String consumer, String prefix, int count, Duration age)
            throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            String row = "(?, ?, ?, 'PROCESSED', 'orders', 0, ?, " + Dialect.detect(c).clock() + ")";
            c.setAutoCommit(false);
            for (int from = 0; from < count; from += ROWS_PER_STATEMENT) {
                int rows = Math.min(count - from, ROWS_PER_STATEMENT);
                try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + table + " (consumer_name, dedup_key, "
                        + "fingerprint, outcome, source_topic, source_partition, source_offset, processed_at) VALUES "
                        + String.join(", ", Collections.nCopies(rows, row)))) {
                    int index = 1;
                    for (int i = from; i < from + rows; i++) {
                        String key = prefix + "-" + i;
                        insert.setString(index++, consumer);
                        insert.setString(index++, key);
                        insert.setBytes(index++, key.getBytes(StandardCharsets.UTF_8));
                        insert.setLong(index++, i);
                    }
                    insert.executeUpdate();
                }
                if ((from + rows) % ROWS_PER_TRANSACTION == 0 || from + rows == count) {
                    c.commit();
                }
            }
        }
        if (!age.isZero()) {
            age(dataSource, table, prefix + "-", age);
        }
    }

    /**
     * Makes the keys {@code keyPrefix...} older by {@code by}, on the database's own clock: moves their
     * {@code processed_at} back, in the database's own arithmetic (no time value travels through Java).
     *
     * @return the rows aged
     */
    static int age(DataSource dataSource, String table, String keyPrefix, Duration by) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            String older = switch (Dialect.detect(c)) {
                case MYSQL -> "processed_at - INTERVAL ? SECOND";
                case POSTGRESQL -> "processed_at - ? * INTERVAL '1 second'";
                case H2 -> "DATEADD(SECOND, -CAST(? AS BIGINT), processed_at)";
            };
            try (PreparedStatement update = c.prepareStatement(
                    "UPDATE " + table + " SET processed_at = " + older + " WHERE dedup_key LIKE ?")) {
                update.setLong(1, by.toSeconds());
                update.setString(2, keyPrefix + "%");
                return update.executeUpdate();
            }
        }
    }

    static long count(DataSource dataSource, String table) throws SQLException {
        return countBy(dataSource, "SELECT COUNT(*) FROM " + table);
    }

    static long countWithPrefix(DataSource dataSource, String table, String prefix) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement select = c.prepareStatement("SELECT COUNT(*) FROM " + table + " WHERE dedup_key LIKE ?")) {
            select.setString(1, prefix + "-%");
            try (ResultSet rs = select.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static long countBy(DataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement select = c.prepareStatement(sql);
                ResultSet rs = select.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
