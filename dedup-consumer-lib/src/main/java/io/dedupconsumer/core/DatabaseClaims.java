package io.dedupconsumer.core;

import io.dedupconsumer.jdbc.DedupTable;
import io.dedupconsumer.jdbc.Dialect;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * How one database claims dedup keys: its statements, its batch claim and its time bound, rendered once for one
 * validated table name (nothing here concatenates user input). Each supported database is one subclass, chosen once
 * per store by {@link #of}; adding a database is adding a subclass, proved by the same contract tests.
 *
 * <p>What every database shares is here: a claim is a plain {@code INSERT} whose failure with SQLState class 23 (the
 * unique index on {@code (consumer_name, dedup_key)}) means "held", never the text of an error message; a batch claim
 * is one optimistic multi-row {@code INSERT} while batches bring no duplicates, and a look-up of the keys followed by
 * an insert of the fresh ones after a batch that met a held key. {@code processed_at} is written by the database's
 * own clock ({@link Dialect#clock()}) in the claim statement itself.
 */
abstract sealed class DatabaseClaims permits MySqlClaims, PostgreSqlClaims, H2Claims {

    /** Keys per multi-row statement: the default {@code max.poll.records}, well under every driver's limits. */
    static final int CHUNK = 500;

    static final String COLUMNS = "consumer_name, dedup_key, fingerprint, outcome, "
            + "source_topic, source_partition, source_offset, processed_at";
    static final String SELECTED = "dedup_key, fingerprint, outcome, source_topic, source_partition, source_offset";

    final String table;
    /** One row of a claim: seven parameters, then the database's clock. */
    final String row;
    final String insert;
    final String findByKey;
    private final String reject;
    private final String probe;
    private final AtomicReferenceArray<String> multiRowInserts = new AtomicReferenceArray<>(CHUNK + 1);
    private final AtomicReferenceArray<String> multiKeyFinds = new AtomicReferenceArray<>(CHUNK + 1);
    /**
     * Whether the last optimistic batch met a key already held. A hint only, shared by every caller: while batches
     * bring no duplicates, their claim is one multi-row {@code INSERT} instead of a look-up and an insert. It chooses
     * how a batch is claimed, never what it decides.
     */
    private volatile boolean duplicatesSeen;

    /** @param onDuplicate appended to the single-row insert, e.g. PostgreSQL's {@code ON CONFLICT DO NOTHING} */
    DatabaseClaims(Dialect dialect, String table, String onDuplicate) {
        this.table = table;
        this.row = "(?, ?, ?, ?, ?, ?, ?, " + dialect.clock() + ")";
        this.insert = "INSERT INTO " + table + " (" + COLUMNS + ") VALUES " + row + onDuplicate;
        this.findByKey = "SELECT " + SELECTED + " FROM " + table + " WHERE consumer_name = ? AND dedup_key = ?";
        this.reject = "UPDATE " + table + " SET outcome = ?, reason = ? WHERE consumer_name = ? AND dedup_key = ?";
        this.probe = "SELECT " + COLUMNS + ", reason FROM " + table + " WHERE 1 = 0";
    }

    /** The claims of {@code dialect} (detected from {@code connection} when {@code null}) on {@code table}. */
    static DatabaseClaims of(@Nullable Dialect dialect, String table, Connection connection) throws SQLException {
        Dialect chosen = dialect != null ? dialect : Dialect.detect(connection);
        return switch (chosen) {
            case MYSQL -> {
                DatabaseMetaData metaData = connection.getMetaData();
                String driver = metaData.getDriverName();
                yield new MySqlClaims(table, metaData.getDatabaseProductVersion().contains("MariaDB"),
                        driver != null && driver.contains("MariaDB"));
            }
            case POSTGRESQL -> new PostgreSqlClaims(table);
            case H2 -> new H2Claims(table);
        };
    }

    /**
     * Claims a key in the caller's transaction.
     *
     * @return empty when this transaction now holds the key; otherwise the row that already holds it
     */
    Optional<StoredClaim> claim(Connection connection, String consumer, ClaimRequest request) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(insert)) {
            bindRow(statement, 1, consumer, request);
            if (statement.executeUpdate() == 1) {
                return Optional.empty();
            }
        } catch (SQLException e) {
            if (!isIntegrityViolation(e)) {
                throw e;
            }
        }
        StoredClaim holder = find(connection, consumer, request.dedupKey()).orElseThrow(() -> new SQLException(
                "claim of key '" + request.dedupKey() + "' was refused but no row holds it: the table "
                        + table + " must have its unique index on (consumer_name, dedup_key) only", "23000"));
        return Optional.of(holder);
    }

    /**
     * Claims up to {@link #CHUNK} distinct keys in the caller's transaction, adding to {@code held} the rows that
     * already held some of them.
     *
     * @throws ConcurrentClaimException when another transaction claimed a key between the look-up and the insert
     */
    void claimChunk(Connection connection, String consumer, List<ClaimRequest> chunk, Map<String, StoredClaim> held)
            throws SQLException {
        if (!duplicatesSeen && !lookUpFirst()) {
            try {
                insertAll(connection, consumer, chunk);
                return;
            } catch (SQLException e) {
                if (!isIntegrityViolation(e)) {
                    throw e;
                }
                // A multi-row INSERT that meets one held key fails as a whole; the transaction goes on without it.
                duplicatesSeen = true;
            }
        }
        int heldBefore = held.size();
        try (PreparedStatement find = connection.prepareStatement(multiKeyFind(chunk.size()))) {
            find.setString(1, consumer);
            for (int i = 0; i < chunk.size(); i++) {
                find.setString(i + 2, chunk.get(i).dedupKey());
            }
            readInto(find, held);
        }
        duplicatesSeen = held.size() > heldBefore;
        List<ClaimRequest> fresh = new ArrayList<>(chunk.size());
        for (ClaimRequest r : chunk) {
            if (!held.containsKey(r.dedupKey())) {
                fresh.add(r);
            }
        }
        if (fresh.isEmpty()) {
            return;
        }
        try {
            insertAll(connection, consumer, fresh);
        } catch (SQLException e) {
            if (isIntegrityViolation(e)) {
                // The look-up reads a snapshot: a key committed by another transaction after it began is missed.
                throw new ConcurrentClaimException(e);
            }
            throw e;
        }
    }

    /** Whether a batch always looks its keys up before inserting them (see {@link MySqlClaims}). */
    boolean lookUpFirst() {
        return false;
    }

    /**
     * The statement that bounds every lock wait and every statement of the current transaction by {@code timeout}
     * (rounded up to whole seconds where the database counts in seconds), or {@code null} when this database keeps its
     * own bounds; {@link #restoreTime()} undoes it.
     */
    @Nullable String limitTime(Duration timeout) {
        return null;
    }

    /** The statement that puts back what {@link #limitTime} changed, or {@code null} when nothing outlives the transaction. */
    @Nullable String restoreTime() {
        return null;
    }

    /** The row holding a key, if any, read so that it sees rows committed after this transaction began. */
    Optional<StoredClaim> find(Connection connection, String consumer, String dedupKey) throws SQLException {
        return read(connection, findByKey, consumer, dedupKey);
    }

    /** Records that the handler refused the record for a business reason, in the caller's transaction. */
    final void markRejected(Connection connection, String consumer, String dedupKey, String reason) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(reject)) {
            update.setString(1, Outcome.REJECTED.name());
            update.setString(2, shorten(reason));
            update.setString(3, consumer);
            update.setString(4, dedupKey);
            update.executeUpdate();
        }
    }

    /** Reads every column the library uses and no row: fails when the table, a column or the name is unusable. */
    final void readColumns(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(probe); ResultSet rs = select.executeQuery()) {
            rs.next();
        }
    }

    final void insertAll(Connection connection, String consumer, List<ClaimRequest> rows) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(multiRowInsert(rows.size()))) {
            int index = 1;
            for (ClaimRequest r : rows) {
                index = bindRow(statement, index, consumer, r);
            }
            statement.executeUpdate();
        }
    }

    static Optional<StoredClaim> read(Connection connection, String query, String consumer, String dedupKey)
            throws SQLException {
        try (PreparedStatement find = connection.prepareStatement(query)) {
            find.setString(1, consumer);
            find.setString(2, dedupKey);
            Map<String, StoredClaim> rows = new HashMap<>(2);
            readInto(find, rows);
            return Optional.ofNullable(rows.get(dedupKey));
        }
    }

    static void readInto(PreparedStatement find, Map<String, StoredClaim> rows) throws SQLException {
        try (ResultSet rs = find.executeQuery()) {
            while (rs.next()) {
                StoredClaim claim = new StoredClaim(rs.getString(1), rs.getBytes(2), Outcome.valueOf(rs.getString(3)),
                        rs.getString(4), rs.getInt(5), rs.getLong(6));
                rows.put(claim.dedupKey(), claim);
            }
        }
    }

    private static int bindRow(PreparedStatement ps, int index, String consumer, ClaimRequest r) throws SQLException {
        ps.setString(index++, consumer);
        ps.setString(index++, r.dedupKey());
        ps.setBytes(index++, r.fingerprint());
        ps.setString(index++, Outcome.PROCESSED.name());
        ps.setString(index++, r.topic());
        ps.setInt(index++, r.partition());
        ps.setLong(index++, r.offset());
        return index;
    }

    /** {@code INSERT ... VALUES (...), (...)} with {@code rows} rows; rendered once per size, then reused. */
    private String multiRowInsert(int rows) {
        String sql = multiRowInserts.get(rows);
        if (sql == null) {
            StringJoiner values = new StringJoiner(", ");
            for (int i = 0; i < rows; i++) {
                values.add(row);
            }
            sql = "INSERT INTO " + table + " (" + COLUMNS + ") VALUES " + values;
            multiRowInserts.set(rows, sql);
        }
        return sql;
    }

    /** {@code SELECT ... WHERE dedup_key IN (?, ...)} with {@code keys} placeholders; a plain (snapshot) read. */
    private String multiKeyFind(int keys) {
        String sql = multiKeyFinds.get(keys);
        if (sql == null) {
            StringJoiner placeholders = new StringJoiner(", ", "(", ")");
            for (int i = 0; i < keys; i++) {
                placeholders.add("?");
            }
            sql = "SELECT " + SELECTED + " FROM " + table + " WHERE consumer_name = ? AND dedup_key IN " + placeholders;
            multiKeyFinds.set(keys, sql);
        }
        return sql;
    }

    /** SQLState class 23: the unique index refused the row. */
    static boolean isIntegrityViolation(SQLException e) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            String state = s.getSQLState();
            if (state != null && state.startsWith("23")) {
                return true;
            }
        }
        return false;
    }

    private static @Nullable String shorten(@Nullable String reason) {
        if (reason == null || reason.length() <= DedupTable.MAX_REASON_LENGTH) {
            return reason;
        }
        return reason.substring(0, DedupTable.MAX_REASON_LENGTH - 1) + "…";
    }
}
