package io.dedupconsumer.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** Fills and counts a dedup table for the retention tests, through the store's own multi-row claim. */
final class DedupTableRows {

    private static final int ROWS_PER_TRANSACTION = 10_000;

    private DedupTableRows() {
    }

    /**
     * Claims {@code count} keys {@code prefix-0 ...}, 10,000 per transaction, then makes them {@code age} old on the
     * database's clock.
     */
    static void insert(DataSource dataSource, String table, String consumer, String prefix, int count, Duration age)
            throws SQLException {
        DedupStore store = DedupStore.create(table, null);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            for (int from = 0; from < count; from += ROWS_PER_TRANSACTION) {
                List<ClaimRequest> requests = new ArrayList<>(ROWS_PER_TRANSACTION);
                for (int i = from; i < Math.min(count, from + ROWS_PER_TRANSACTION); i++) {
                    String key = prefix + "-" + i;
                    requests.add(new ClaimRequest(key, key.getBytes(StandardCharsets.UTF_8), "orders", 0, i));
                }
                store.claimAll(c, consumer, requests);
                c.commit();
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
            String older = switch (DedupStore.create(table, null).dialect(c)) {
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
