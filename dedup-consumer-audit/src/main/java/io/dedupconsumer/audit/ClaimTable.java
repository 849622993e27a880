package io.dedupconsumer.audit;

import io.dedupconsumer.jdbc.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.jspecify.annotations.Nullable;

/**
 * Read-only SQL on the dedup table, reading it exactly as the library writes it ({@code core.DatabaseClaims}):
 * keys bound and read as strings (on MySQL the column is {@code VARBINARY} holding UTF-8, which the drivers convert),
 * {@code processed_at} in UTC by the database's clock (a {@code DATETIME} holding UTC on MySQL, a time zone aware
 * column elsewhere). The table name is validated before it reaches this class; every value is a bound parameter.
 */
final class ClaimTable {

    /** Keys per look-up statement, as the library's batch claim. */
    static final int CHUNK = 500;

    private static final String COLUMNS =
            "dedup_key, fingerprint, outcome, reason, source_topic, source_partition, source_offset, processed_at";

    private static final DateTimeFormatter MYSQL_DATETIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    private final Connection connection;
    private final Dialect dialect;
    private final String table;
    private final String consumer;

    ClaimTable(Connection connection, String table, String consumer) throws SQLException {
        this.connection = connection;
        this.dialect = Dialect.detect(connection);
        this.table = table;
        this.consumer = consumer;
        // fails at once, with the driver's words, when the table or a column is missing or unreadable
        try (PreparedStatement probe = connection.prepareStatement("SELECT " + COLUMNS + " FROM " + table + " WHERE 1 = 0");
                ResultSet rs = probe.executeQuery()) {
            rs.next();
        }
    }

    /** The claims of {@code keys} (any number; looked up {@value #CHUNK} at a time), by key. */
    Map<String, Claim> find(Collection<String> keys) throws SQLException {
        Map<String, Claim> found = new HashMap<>(keys.size() * 2);
        List<String> all = new ArrayList<>(keys);
        for (int from = 0; from < all.size(); from += CHUNK) {
            List<String> chunk = all.subList(from, Math.min(all.size(), from + CHUNK));
            StringJoiner in = new StringJoiner(", ", "(", ")");
            chunk.forEach(k -> in.add("?"));
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM " + table + " WHERE consumer_name = ? AND dedup_key IN " + in)) {
                select.setString(1, consumer);
                for (int i = 0; i < chunk.size(); i++) {
                    select.setString(i + 2, chunk.get(i));
                }
                for (Claim c : read(select, Integer.MAX_VALUE)) {
                    found.put(c.key(), c);
                }
            }
        }
        return found;
    }

    /** Claims of this consumer by outcome, over all its source topics. */
    Map<String, Long> countByOutcome() throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT outcome, COUNT(*) FROM " + table
                + " WHERE consumer_name = ? GROUP BY outcome ORDER BY outcome")) {
            select.setString(1, consumer);
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    counts.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return counts;
    }

    /** The oldest and the newest claim time of this consumer, or {@code null} when it has none. */
    Instant @Nullable [] claimTimes() throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT MIN(processed_at), MAX(processed_at) FROM " + table + " WHERE consumer_name = ?")) {
            select.setString(1, consumer);
            try (ResultSet rs = select.executeQuery()) {
                rs.next();
                Instant oldest = time(rs, 1);
                return oldest == null ? null : new Instant[] {oldest, time(rs, 2)};
            }
        }
    }

    /** The lowest source offset still claimed in each partition of {@code topic}. */
    Map<Integer, Long> lowestClaimedOffsets(String topic) throws SQLException {
        Map<Integer, Long> lowest = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT source_partition, MIN(source_offset) FROM "
                + table + " WHERE consumer_name = ? AND source_topic = ? GROUP BY source_partition")) {
            select.setString(1, consumer);
            select.setString(2, topic);
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    lowest.put(rs.getInt(1), rs.getLong(2));
                }
            }
        }
        return lowest;
    }

    /** How many claims of {@code topic}'s partition have a source offset at or after {@code offset}. */
    long countFrom(String topic, int partition, long offset) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT COUNT(*) FROM " + table
                + " WHERE consumer_name = ? AND source_topic = ? AND source_partition = ? AND source_offset >= ?")) {
            bindFrom(select, topic, partition, offset);
            try (ResultSet rs = select.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The first {@code limit} claims of {@code topic}'s partition at or after {@code offset}, in offset order. */
    List<Claim> listFrom(String topic, int partition, long offset, int limit) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM " + table
                + " WHERE consumer_name = ? AND source_topic = ? AND source_partition = ? AND source_offset >= ?"
                + " ORDER BY source_offset")) {
            bindFrom(select, topic, partition, offset);
            select.setMaxRows(Math.max(1, limit));
            return read(select, limit);
        }
    }

    /** How many claims of {@code topic} were written at or after {@code since}. */
    long countSince(String topic, Instant since) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT COUNT(*) FROM " + table
                + " WHERE consumer_name = ? AND source_topic = ? AND processed_at >= ?")) {
            bindSince(select, topic, since);
            try (ResultSet rs = select.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The first {@code limit} claims of {@code topic} written at or after {@code since}, oldest first. */
    List<Claim> listSince(String topic, Instant since, int limit) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM " + table
                + " WHERE consumer_name = ? AND source_topic = ? AND processed_at >= ? ORDER BY processed_at")) {
            bindSince(select, topic, since);
            select.setMaxRows(Math.max(1, limit));
            return read(select, limit);
        }
    }

    /** The claims of one consumer and outcome that a purge with {@code cutoff} deletes, and their time span. */
    record Due(String consumer, String outcome, long count, Instant oldest, Instant newest) {
    }

    /**
     * What the library's retention deletes with {@code cutoff}: the claims processed before it, of every consumer of
     * the table (the retention purges the table, not one consumer), by consumer and outcome.
     */
    List<Due> dueBefore(Instant cutoff) throws SQLException {
        List<Due> due = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT consumer_name, outcome, COUNT(*), "
                + "MIN(processed_at), MAX(processed_at) FROM " + table + " WHERE processed_at < ? "
                + "GROUP BY consumer_name, outcome ORDER BY consumer_name, outcome")) {
            bindTime(select, 1, cutoff);
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    due.add(new Due(rs.getString(1), rs.getString(2), rs.getLong(3), time(rs, 4), time(rs, 5)));
                }
            }
        }
        return due;
    }

    /** The topics the claims processed before {@code cutoff} came from, of every consumer of the table. */
    List<String> sourceTopicsBefore(Instant cutoff) throws SQLException {
        List<String> topics = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT DISTINCT source_topic FROM " + table
                + " WHERE processed_at < ? AND source_topic IS NOT NULL ORDER BY source_topic")) {
            bindTime(select, 1, cutoff);
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    topics.add(rs.getString(1));
                }
            }
        }
        return topics;
    }

    private void bindSince(PreparedStatement select, String topic, Instant since) throws SQLException {
        select.setString(1, consumer);
        select.setString(2, topic);
        bindTime(select, 3, since);
    }

    /**
     * Binds {@code time} at the column's precision, milliseconds. On MySQL as the text of a UTC {@code DATETIME}:
     * MySQL Connector/J sends a {@code LocalDateTime} parameter without its fraction of a second, which would count
     * the claims written in the second before the replay.
     */
    private void bindTime(PreparedStatement select, int index, Instant time) throws SQLException {
        Instant millis = time.truncatedTo(ChronoUnit.MILLIS);
        if (dialect == Dialect.MYSQL) {
            select.setString(index, MYSQL_DATETIME.format(LocalDateTime.ofInstant(millis, ZoneOffset.UTC)));
        } else {
            select.setObject(index, millis.atOffset(ZoneOffset.UTC));
        }
    }

    private void bindFrom(PreparedStatement select, String topic, int partition, long offset) throws SQLException {
        select.setString(1, consumer);
        select.setString(2, topic);
        select.setInt(3, partition);
        select.setLong(4, offset);
    }

    private List<Claim> read(PreparedStatement select, int limit) throws SQLException {
        List<Claim> claims = new ArrayList<>();
        try (ResultSet rs = select.executeQuery()) {
            while (claims.size() < limit && rs.next()) {
                claims.add(new Claim(rs.getString(1), rs.getBytes(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getInt(6), rs.getLong(7), time(rs, 8)));
            }
        }
        return claims;
    }

    private @Nullable Instant time(ResultSet rs, int column) throws SQLException {
        if (dialect == Dialect.MYSQL) {
            LocalDateTime utc = rs.getObject(column, LocalDateTime.class);
            return utc == null ? null : utc.toInstant(ZoneOffset.UTC);
        }
        OffsetDateTime time = rs.getObject(column, OffsetDateTime.class);
        return time == null ? null : time.toInstant();
    }
}
