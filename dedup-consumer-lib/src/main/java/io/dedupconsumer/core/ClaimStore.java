package io.dedupconsumer.core;

import io.dedupconsumer.jdbc.DedupTable;
import io.dedupconsumer.jdbc.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The dedup table's claims, run on the caller's connection so that a claim commits or rolls back together with the
 * side effect it guards. The database's own statements are chosen once, from the first connection (or the configured
 * dialect), as a {@link DatabaseClaims}; this class keeps what is the same everywhere: the order keys are locked in,
 * the chunking of batches, the time bound's cache and the start-up probe.
 *
 * <p>Duplicates are detected by update count or by SQLState class 23, never by the text of an error message.
 * Thread-safe: it holds no connection and no per-call state.
 */
final class ClaimStore {

    /** The consumer of {@link #probe}'s claims: a space makes it a name no consumer can have. */
    private static final String PROBE_CONSUMER = "dedup-consumer start-up check";

    private final String table;
    private final @Nullable Dialect configuredDialect;
    private volatile @Nullable DatabaseClaims claims;
    private volatile @Nullable TimeLimit timeLimit;

    /**
     * @param table a name {@link DedupTable#validName(String) validated} as an SQL identifier
     * @param dialect the database, or {@code null} to detect it from the first connection
     */
    ClaimStore(String table, @Nullable Dialect dialect) {
        this.table = DedupTable.validName(table);
        this.configuredDialect = dialect;
    }

    String table() {
        return table;
    }

    /**
     * Claims a key in the caller's transaction. Its {@code processed_at} is the database's current time, never the
     * application's.
     *
     * @return empty when this transaction now holds the key; otherwise the row that already holds it
     *     (committed by an earlier delivery, or by a concurrent one this call waited for)
     */
    Optional<StoredClaim> claim(Connection connection, String consumer, ClaimRequest request) throws SQLException {
        return claims(connection).claim(connection, consumer, request);
    }

    /**
     * Claims many distinct keys in the caller's transaction with a few statements.
     *
     * @param requests claims whose keys are distinct
     * @return the rows that already held some of the keys; every key not in the map is now held by this transaction
     * @throws ConcurrentClaimException (MySQL, H2) when another transaction claimed a key between the look-up and
     *     the insert: roll back and claim record by record
     */
    Map<String, StoredClaim> claimAll(Connection connection, String consumer, List<ClaimRequest> requests)
            throws SQLException {
        DatabaseClaims sql = claims(connection);
        Map<String, StoredClaim> held = new HashMap<>();
        // Every claimant locks keys in the same order, so two batches sharing keys wait for each other instead of
        // deadlocking (a deadlock would only cost a retry, but a retry of a whole batch).
        List<ClaimRequest> ordered = new ArrayList<>(requests);
        ordered.sort(Comparator.comparing(ClaimRequest::dedupKey));
        for (int from = 0; from < ordered.size(); from += DatabaseClaims.CHUNK) {
            sql.claimChunk(connection, consumer, ordered.subList(from, Math.min(ordered.size(), from + DatabaseClaims.CHUNK)), held);
        }
        return held;
    }

    /**
     * Bounds every lock wait and every statement of the caller's transaction, the handler's included, by
     * {@code timeout}, so that a row another transaction keeps locked fails the record's transaction in time (as a
     * lock wait or statement timeout) instead of holding the consumer past {@code max.poll.interval.ms}. Call it first
     * in the transaction and {@link #restoreTime(Connection)} last, also when the transaction fails.
     */
    void limitTime(Connection connection, Duration timeout) throws SQLException {
        TimeLimit cached = timeLimit;
        if (cached == null || !cached.timeout.equals(timeout)) {
            // a deduplicator's timeout is fixed: rendered once, not per transaction
            cached = new TimeLimit(timeout, claims(connection).limitTime(timeout));
            timeLimit = cached;
        }
        execute(connection, cached.sql);
    }

    /** Puts back the session settings {@link #limitTime(Connection, Duration)} changed, where they outlive a transaction. */
    void restoreTime(Connection connection) throws SQLException {
        execute(connection, claims(connection).restoreTime());
    }

    /**
     * Checks, in the caller's transaction, that this database can hold this store's claims, by doing what a claim does
     * with a row no consumer can own: reads every column the library uses (the table exists, has them, and its name
     * is usable unquoted on this database, which a reserved word such as {@code order} is not), inserts a claim twice
     * (the connection is writable, INSERT is granted, no unknown NOT NULL column, the unique index on
     * {@code (consumer_name, dedup_key)} refuses the second), once more under another consumer name (no unique index on
     * fewer columns refuses it) and updates it (UPDATE is granted). <b>Roll the transaction back afterwards</b>: it
     * holds the probe's row.
     *
     * @throws SQLException the database's refusal as it came, to classify by SQLState and vendor code
     * @throws IllegalStateException when the table took one key twice (it lacks the unique index) or refused one key
     *     under two consumer names (it has a unique index on other columns)
     */
    void probe(Connection connection) throws SQLException {
        DatabaseClaims sql = claims(connection);
        sql.readColumns(connection);
        ClaimRequest request = new ClaimRequest("probe", new byte[32], "dedup-consumer-probe", 0, 0);
        sql.claim(connection, PROBE_CONSUMER, request);
        if (sql.claim(connection, PROBE_CONSUMER, request).isEmpty()) {
            throw new IllegalStateException("the dedup table " + table + " accepted the same (consumer_name, dedup_key) "
                    + "twice: it has no unique index (or primary key) on exactly these two columns, so it would let "
                    + "duplicates through. Create it as the shipped DDL under sql/ does");
        }
        try {
            sql.claim(connection, PROBE_CONSUMER + " 2", request);
        } catch (SQLException e) {
            if (!DatabaseClaims.isIntegrityViolation(e)) {
                throw e;
            }
            throw new IllegalStateException("the dedup table " + table + " refused one key under two consumer names: "
                    + "a unique index on other columns than exactly (consumer_name, dedup_key) would turn one "
                    + "consumer's record into another's failure. Drop that index; the shipped DDL under sql/ has "
                    + "only the primary key (consumer_name, dedup_key)", e);
        }
        sql.markRejected(connection, PROBE_CONSUMER, request.dedupKey(), "probe");
    }

    /** Records that the handler refused the record for a business reason, in the caller's transaction. */
    void markRejected(Connection connection, String consumer, String dedupKey, String reason) throws SQLException {
        claims(connection).markRejected(connection, consumer, dedupKey, reason);
    }

    /** The row holding a key, if any, read so that it sees rows committed after this transaction began. */
    Optional<StoredClaim> find(Connection connection, String consumer, String dedupKey) throws SQLException {
        return claims(connection).find(connection, consumer, dedupKey);
    }

    /** The statements chosen for this database (from the first connection, then kept). */
    DatabaseClaims claims(Connection connection) throws SQLException {
        DatabaseClaims sql = claims;
        if (sql == null) {
            sql = DatabaseClaims.of(configuredDialect, table, connection);
            claims = sql;
        }
        return sql;
    }

    private static void execute(Connection connection, @Nullable String sql) throws SQLException {
        if (sql != null) {
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                statement.execute();
            }
        }
    }

    @Override
    public String toString() {
        return "ClaimStore[table=" + table + ", dialect=" + Objects.requireNonNullElse(configuredDialect, "detect") + "]";
    }

    private record TimeLimit(Duration timeout, @Nullable String sql) {
    }
}
