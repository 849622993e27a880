package io.dedupconsumer.core;

import io.dedupconsumer.jdbc.Dialect;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * MySQL 8 and MariaDB 10.5+, through MySQL Connector/J or MariaDB Connector/J. Neither {@code INSERT IGNORE} (it
 * downgrades unrelated errors to warnings) nor {@code ON DUPLICATE KEY UPDATE} (Connector/J reports found rows, so a
 * duplicate looks like a new row) is used: a claim is a plain {@code INSERT}, a duplicate fails it with SQLState class
 * 23 (error 1062) and the transaction goes on.
 *
 * <p>Through MariaDB Connector/J a key is looked up before it is inserted, in a claim and in every batch, so that a
 * duplicate is found by reading, never by provoking the unique index: that driver logs every error the server sends at
 * WARN with its text ({@code Duplicate entry 'orders-service-e-1' for key 'PRIMARY'}), which would put a business key
 * in the log for each redelivery. The look-up is not folded into the insert as {@code INSERT ... SELECT ... WHERE NOT
 * EXISTS}: under REPEATABLE READ, InnoDB's default, that {@code SELECT} takes shared gap locks, and two transactions
 * claiming different fresh keys in the same gap then deadlock. The plain read takes no lock; a key committed after its
 * snapshot still meets the unique index, a race that stays correct. MySQL Connector/J logs nothing, so it keeps the
 * plain insert: one statement for a new key, the common case.
 */
final class MySqlClaims extends DatabaseClaims {

    private final boolean lookUpFirst;
    /** A locking (current) read, shared so that two losers never deadlock (see {@link #find}). */
    private final String lockingFind;
    private final String restoreTime;
    private final String statementTime;
    private final boolean mariadbServer;

    /**
     * @param mariadbServer whether the server is MariaDB (its statement time limit has another name and unit)
     * @param lookUpFirst whether the driver is MariaDB Connector/J (see the class comment)
     */
    MySqlClaims(String table, boolean mariadbServer, boolean lookUpFirst) {
        super(Dialect.MYSQL, table, "");
        this.lookUpFirst = lookUpFirst;
        this.mariadbServer = mariadbServer;
        this.lockingFind = findByKey + " LOCK IN SHARE MODE";
        this.statementTime = mariadbServer ? "max_statement_time" : "max_execution_time";
        this.restoreTime = "SET @@session.innodb_lock_wait_timeout = @dedup_consumer_row_lock_wait, "
                + "@@session.lock_wait_timeout = @dedup_consumer_metadata_lock_wait, "
                + "@@session." + statementTime + " = @dedup_consumer_statement_time";
    }

    @Override
    Optional<StoredClaim> claim(Connection connection, String consumer, ClaimRequest request) throws SQLException {
        if (lookUpFirst) {
            Optional<StoredClaim> held = read(connection, findByKey, consumer, request.dedupKey());
            if (held.isPresent()) {
                return held;
            }
        }
        return super.claim(connection, consumer, request);
    }

    @Override
    boolean lookUpFirst() {
        return lookUpFirst;
    }

    /**
     * A locking read: under REPEATABLE READ a plain {@code SELECT} could read an older snapshot that misses the row
     * whose insert just made ours fail.
     */
    @Override
    Optional<StoredClaim> find(Connection connection, String consumer, String dedupKey) throws SQLException {
        return read(connection, lockingFind, consumer, dedupKey);
    }

    /**
     * {@code innodb_lock_wait_timeout} (row locks), {@code lock_wait_timeout} (metadata locks, a DDL statement
     * elsewhere) and MariaDB's {@code max_statement_time} (seconds) or MySQL's {@code max_execution_time} (ms, bounds
     * only {@code SELECT}), lock waits rounded up to whole seconds. These are session settings: the statement saves
     * the session's values in user variables, and {@link #restoreTime()} puts them back before the connection returns
     * to the pool, so nothing leaks into the application's other uses of it.
     */
    @Override
    String limitTime(Duration timeout) {
        long millis = Math.max(1, timeout.toMillis());
        long seconds = Math.max(1, (millis + 999) / 1000);
        return "SET @dedup_consumer_row_lock_wait = @@session.innodb_lock_wait_timeout, "
                + "@dedup_consumer_metadata_lock_wait = @@session.lock_wait_timeout, "
                + "@dedup_consumer_statement_time = @@session." + statementTime + ", "
                + "@@session.innodb_lock_wait_timeout = " + seconds + ", "
                + "@@session.lock_wait_timeout = " + seconds + ", "
                + "@@session." + statementTime + " = "
                + (mariadbServer ? String.format(Locale.ROOT, "%.3f", millis / 1000.0) : Long.toString(millis));
    }

    @Override
    String restoreTime() {
        return restoreTime;
    }
}
