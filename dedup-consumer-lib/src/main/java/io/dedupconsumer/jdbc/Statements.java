package io.dedupconsumer.jdbc;

import java.time.Duration;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Every SQL statement of the dedup table, rendered once for one dialect and one validated table name.
 * Nothing here concatenates user input: the table name was checked against an identifier pattern before.
 *
 * <p>{@code processed_at} is written by the database's own clock, in the claim statement itself, and the purge's
 * cutoff is read from that same clock ({@link #currentTime}): no application clock, however far behind or ahead, and
 * no session time zone can make a key look older than it is. On MySQL the column is a {@code DATETIME} holding UTC,
 * so the clock is {@code UTC_TIMESTAMP(3)} (not {@code NOW()}, which follows the session's {@code time_zone}); on
 * PostgreSQL and H2 the column has a time zone. Both read the time the claim statement started.
 */
final class Statements {

    /** Keys per multi-row statement: the default {@code max.poll.records}, well under every driver's limits. */
    static final int CHUNK = 500;

    private static final String COLUMNS = "consumer_name, dedup_key, fingerprint, outcome, "
            + "source_topic, source_partition, source_offset, processed_at";
    private static final String SELECTED = "dedup_key, fingerprint, outcome, source_topic, source_partition, source_offset";

    final Dialect dialect;
    final String insert;
    /**
     * MySQL through MariaDB Connector/J only, else {@code null}: a plain (snapshot) read of one key, run before
     * {@link #insert} and before every batch's insert so that a duplicate is found by reading, never by provoking the
     * unique index. That driver logs every error the server sends at WARN, with its text ({@code Duplicate entry 'orders-service-e-1' for key
     * 'PRIMARY'}), so a provoked duplicate would put a business key in the log for each redelivery. Not folded into
     * the insert as {@code INSERT ... SELECT ... WHERE NOT EXISTS}: under REPEATABLE READ, InnoDB's default, that
     * {@code SELECT} takes shared gap locks, and two transactions claiming different fresh keys in the same gap then
     * wait for each other and deadlock. This read takes no lock; a key committed after its snapshot still meets the
     * unique index (SQLState class 23), a race that stays correct. MySQL Connector/J logs nothing, so it keeps the
     * plain insert: one statement for a new key, the common case.
     */
    final String lookUp;
    final String find;
    final String findAll;
    final String claimAll;
    final String reject;
    final String purge;
    /** A one-row, one-column query of the database's current time, the clock {@code processed_at} is written by. */
    final String currentTime;
    /** Puts back the session settings {@link #limitTime} changed (MySQL and MariaDB), else {@code null}. */
    final String restoreTime;
    private final boolean mariadbServer;
    private volatile TimeLimit timeLimit;
    /** Reads every column the library uses and no row: fails when the table, a column or the name is unusable. */
    final String probe;
    private final String table;
    /** One row of a claim: seven parameters, then the database's clock. */
    private final String row;
    private final AtomicReferenceArray<String> multiRowInserts = new AtomicReferenceArray<>(CHUNK + 1);
    private final AtomicReferenceArray<String> multiKeyFinds = new AtomicReferenceArray<>(CHUNK + 1);

    /**
     * @param mariadbServer on MySQL, whether the server is MariaDB (its statement time limit has another name)
     * @param lookUpFirst on MySQL, whether to read a key before inserting it (MariaDB Connector/J, see {@link #lookUp})
     */
    Statements(Dialect dialect, String table, boolean mariadbServer, boolean lookUpFirst) {
        this.dialect = dialect;
        this.table = table;
        this.mariadbServer = mariadbServer;
        this.restoreTime = dialect != Dialect.MYSQL ? null
                : "SET @@session.innodb_lock_wait_timeout = @dedup_consumer_row_lock_wait, "
                        + "@@session.lock_wait_timeout = @dedup_consumer_metadata_lock_wait, "
                        + "@@session." + statementTime() + " = @dedup_consumer_statement_time";
        String now = switch (dialect) {
            case MYSQL -> "UTC_TIMESTAMP(3)";
            case POSTGRESQL -> "statement_timestamp()";
            case H2 -> "CURRENT_TIMESTAMP";
        };
        this.currentTime = "SELECT " + now;
        this.probe = "SELECT " + COLUMNS + ", reason FROM " + table + " WHERE 1 = 0";
        this.row = "(?, ?, ?, ?, ?, ?, ?, " + now + ")";
        String plainInsert = "INSERT INTO " + table + " (" + COLUMNS + ") VALUES " + row;
        String findByKey = "SELECT " + SELECTED + " FROM " + table + " WHERE consumer_name = ? AND dedup_key = ?";
        this.reject = "UPDATE " + table + " SET outcome = ?, reason = ? WHERE consumer_name = ? AND dedup_key = ?";
        switch (dialect) {
            case MYSQL -> {
                this.insert = plainInsert;
                this.lookUp = lookUpFirst ? findByKey : null;
                // A locking (current) read: under REPEATABLE READ a plain SELECT could read an older snapshot
                // that misses the row whose insert just made ours fail. Shared, so two losers never deadlock.
                this.find = findByKey + " LOCK IN SHARE MODE";
                this.findAll = null;
                this.claimAll = null;
                this.purge = "DELETE FROM " + table + " WHERE processed_at < ? LIMIT ?";
            }
            case POSTGRESQL -> {
                this.insert = plainInsert + " ON CONFLICT (consumer_name, dedup_key) DO NOTHING";
                this.lookUp = null;
                this.find = findByKey;
                this.findAll = "SELECT " + SELECTED + " FROM " + table + " WHERE consumer_name = ? AND dedup_key = ANY (?)";
                // One statement text for any batch size: the rows travel as arrays and RETURNING names exactly
                // the keys this transaction claimed.
                this.claimAll = "INSERT INTO " + table + " (" + COLUMNS + ") "
                        + "SELECT ?, u.k, decode(u.f, 'hex'), ?, u.t, u.p, u.o, " + now + " "
                        + "FROM unnest(?::varchar[], ?::varchar[], ?::varchar[], ?::int[], ?::bigint[]) AS u(k, f, t, p, o) "
                        + "ON CONFLICT (consumer_name, dedup_key) DO NOTHING RETURNING dedup_key";
                this.purge = "DELETE FROM " + table + " WHERE ctid = ANY (ARRAY("
                        + "SELECT ctid FROM " + table + " WHERE processed_at < ? LIMIT ?))";
            }
            case H2 -> {
                this.insert = plainInsert;
                this.lookUp = null;
                this.find = findByKey;
                this.findAll = null;
                this.claimAll = null;
                this.purge = "DELETE FROM " + table + " WHERE processed_at < ? FETCH FIRST ? ROWS ONLY";
            }
            default -> throw new IllegalStateException("unknown dialect " + dialect);
        }
    }

    /**
     * The statement that bounds every lock wait and every statement of the current transaction by {@code timeout}
     * (rounded up to whole seconds where the database counts in seconds), or {@code null} when there is nothing to run;
     * {@link #restoreTime} undoes it.
     * <ul>
     *   <li>PostgreSQL: {@code lock_timeout} and {@code statement_timeout} through {@code set_config(..., true)}, i.e.
     *       {@code SET LOCAL}: they end with the transaction, nothing to restore.</li>
     *   <li>MariaDB: {@code innodb_lock_wait_timeout} (row locks), {@code lock_wait_timeout} (metadata locks, a DDL
     *       statement elsewhere) and {@code max_statement_time}; MySQL: the same with {@code max_execution_time}
     *       (which bounds only {@code SELECT}). These are session settings: the limit saves the session's values in
     *       user variables in the same statement, and the restore puts them back before the connection returns to
     *       the pool, so nothing leaks into the application's other uses of it.</li>
     *   <li>H2, the embedded demo database: nothing (its own lock timeout applies).</li>
     * </ul>
     */
    String limitTime(Duration timeout) {
        TimeLimit cached = timeLimit;
        if (cached == null || !cached.timeout.equals(timeout)) {
            cached = new TimeLimit(timeout, renderTimeLimit(timeout));
            timeLimit = cached;
        }
        return cached.sql;
    }

    private String renderTimeLimit(Duration timeout) {
        long millis = Math.max(1, timeout.toMillis());
        long seconds = Math.max(1, (millis + 999) / 1000);
        return switch (dialect) {
            case POSTGRESQL -> "SELECT set_config('lock_timeout', '" + millis + "ms', true), "
                    + "set_config('statement_timeout', '" + millis + "ms', true)";
            case MYSQL -> "SET @dedup_consumer_row_lock_wait = @@session.innodb_lock_wait_timeout, "
                    + "@dedup_consumer_metadata_lock_wait = @@session.lock_wait_timeout, "
                    + "@dedup_consumer_statement_time = @@session." + statementTime() + ", "
                    + "@@session.innodb_lock_wait_timeout = " + seconds + ", "
                    + "@@session.lock_wait_timeout = " + seconds + ", "
                    + "@@session." + statementTime() + " = "
                    + (mariadbServer ? String.format(Locale.ROOT, "%.3f", millis / 1000.0) : Long.toString(millis));
            case H2 -> null;
        };
    }

    /** MariaDB's statement time limit is {@code max_statement_time} (seconds), MySQL's {@code max_execution_time} (ms). */
    private String statementTime() {
        return mariadbServer ? "max_statement_time" : "max_execution_time";
    }

    /** The last rendered {@link #limitTime}: a deduplicator's timeout is fixed, so it is rendered once. */
    private record TimeLimit(Duration timeout, String sql) {
    }

    /** {@code INSERT ... VALUES (...), (...)} with {@code rows} rows; rendered once per size, then reused. */
    String multiRowInsert(int rows) {
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
    String multiKeyFind(int keys) {
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
}
