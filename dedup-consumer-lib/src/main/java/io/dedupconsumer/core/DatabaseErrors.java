package io.dedupconsumer.core;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransactionRollbackException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/**
 * Classifies database failures by SQLState and vendor code (never by message text), through wrapping exceptions and
 * chained SQL exceptions. The one question it answers: is this the record's fault? Only {@link Kind#RECORD} is; every
 * other kind happens to any record the consumer would take next, so no record may be dead-lettered for it.
 */
final class DatabaseErrors {

    /** What a failure says about the database and the record, in the order {@link #classify} tests them. */
    enum Kind {
        /** No connection could be had, or it broke: wait, it comes back. */
        UNREACHABLE,
        /** The database answered and refuses the work whatever the record: an operator must act. */
        REFUSED,
        /** A lock wait or a statement ran out of the transaction's time: another transaction holds the rows. */
        TIMED_OUT,
        /** A deadlock or serialization failure: the database rolled the transaction back, run it again at once. */
        ROLLED_BACK,
        /** Anything else: a failure of this record (or of the handler on it). */
        RECORD
    }

    // MySQL and MariaDB (vendor codes, whatever SQLState the driver reports)
    private static final int MYSQL_LOCK_WAIT_TIMEOUT = 1205;
    private static final int MYSQL_DEADLOCK = 1213;
    private static final int MYSQL_EXECUTION_TIME_EXCEEDED = 3024;
    private static final int MARIADB_STATEMENT_TIME_EXCEEDED = 1969;
    private static final int MYSQL_NO_SUCH_TABLE = 1146;
    private static final int MYSQL_UNKNOWN_COLUMN = 1054;
    private static final int MYSQL_PARSE_ERROR = 1064;
    private static final int MYSQL_FIELD_WITHOUT_DEFAULT = 1364;
    private static final Set<Integer> MYSQL_READ_ONLY = Set.of(
            1290, // ER_OPTION_PREVENTS_STATEMENT: --read-only / --super-read-only
            1836, // ER_READ_ONLY_MODE
            1792, // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
            1036, // ER_OPEN_AS_READONLY: the table is read only
            1874); // ER_INNODB_READ_ONLY
    private static final Set<Integer> MYSQL_DENIED = Set.of(
            1142, // ER_TABLEACCESS_DENIED_ERROR
            1143, // ER_COLUMNACCESS_DENIED_ERROR
            1044, // ER_DBACCESS_DENIED_ERROR
            1045, // ER_ACCESS_DENIED_ERROR
            1227); // ER_SPECIFIC_ACCESS_DENIED_ERROR
    private static final Set<Integer> MYSQL_REFUSED_OTHERWISE = Set.of(
            MYSQL_FIELD_WITHOUT_DEFAULT, // a NOT NULL column the library does not know of
            1114, // ER_RECORD_FILE_FULL: the table is full
            1021, // ER_DISK_FULL
            1932); // ER_NO_SUCH_TABLE_IN_ENGINE
    // H2 (vendor codes)
    private static final int H2_LOCK_TIMEOUT = 50200;
    private static final int H2_READ_ONLY = 90097;
    private static final int H2_NOT_ENOUGH_RIGHTS = 90096;

    private static final int MAX_DEPTH = 16;

    private DatabaseErrors() {
    }

    /** The first kind, in declaration order, that any SQL exception in {@code failure}'s causes and chains has. */
    static Kind classify(Throwable failure) {
        Kind found = Kind.RECORD;
        Throwable current = failure;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (current instanceof SQLException sql) {
                SQLException next = sql;
                for (int chained = 0; next != null && chained < MAX_DEPTH; chained++) {
                    Kind kind = kindOf(next);
                    if (kind.compareTo(found) < 0) {
                        found = kind;
                    }
                    next = next.getNextException();
                }
            }
            current = current.getCause() == current ? null : current.getCause();
        }
        return found;
    }

    private static Kind kindOf(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        int code = e.getErrorCode();
        if (e instanceof SQLTransientConnectionException || e instanceof SQLNonTransientConnectionException
                || e instanceof SQLRecoverableException || state.startsWith("08") || state.startsWith("57P")
                || state.startsWith("53")) { // 53: insufficient resources (too many connections, out of memory, disk full)
            return Kind.UNREACHABLE;
        }
        if (isRefusal(state, code)) {
            return Kind.REFUSED;
        }
        if (e instanceof SQLTimeoutException || state.equals("55P03") || state.equals("57014")
                || code == MYSQL_LOCK_WAIT_TIMEOUT || code == MYSQL_EXECUTION_TIME_EXCEEDED
                || code == MARIADB_STATEMENT_TIME_EXCEEDED || code == H2_LOCK_TIMEOUT) {
            return Kind.TIMED_OUT;
        }
        if (e instanceof SQLTransactionRollbackException || state.startsWith("40") || code == MYSQL_DEADLOCK) {
            return Kind.ROLLED_BACK;
        }
        return Kind.RECORD;
    }

    /**
     * Class 42 (syntax error or access rule violation: a missing table or column, a reserved word, a denied privilege,
     * {@code ON CONFLICT} without its unique index), 28 (authorization), 3D/3F (no such database or schema), 25006 (a
     * read-only transaction: a replica, a hot standby, {@code default_transaction_read_only}), and the vendor codes
     * MySQL and MariaDB report under {@code HY000}. None of them depends on the record.
     */
    private static boolean isRefusal(String state, int code) {
        return state.startsWith("42") || state.startsWith("28") || state.startsWith("3D") || state.startsWith("3F")
                || state.equals("25006")
                || code == MYSQL_NO_SUCH_TABLE || code == MYSQL_UNKNOWN_COLUMN || code == MYSQL_PARSE_ERROR
                || MYSQL_READ_ONLY.contains(code) || MYSQL_DENIED.contains(code) || MYSQL_REFUSED_OTHERWISE.contains(code)
                || code == H2_READ_ONLY || code == H2_NOT_ENOUGH_RIGHTS;
    }

    /**
     * What an operator does about a {@link Kind#REFUSED} failure, for the messages of the exceptions and the log:
     * names the table, and the likely cause and fix by SQLState and vendor code.
     */
    static String advice(Throwable failure, String table) {
        SQLException e = firstRefusal(failure);
        String state = e == null || e.getSQLState() == null ? "" : e.getSQLState();
        int code = e == null ? 0 : e.getErrorCode();
        String what;
        if (state.equals("42P01") || state.equals("42S02") || code == MYSQL_NO_SUCH_TABLE || code == 1932) {
            what = "a table does not exist (is the dedup table '" + table + "' created in this database and schema? "
                    + "Run DedupSchema.migrate(dataSource) or apply the DDL under sql/, or fix the configured table name)";
        } else if (state.equals("42703") || state.equals("42S22") || code == MYSQL_UNKNOWN_COLUMN
                || code == MYSQL_FIELD_WITHOUT_DEFAULT) {
            what = "a column is missing or unknown (does '" + table + "' have the columns of the shipped DDL under sql/, "
                    + "and no extra NOT NULL column without a default?)";
        } else if (state.equals("42601") || code == MYSQL_PARSE_ERROR || (state.equals("42000") && code == 0)) {
            what = "the statement does not parse (is '" + table + "' a reserved word on this database? Choose another "
                    + "table name)";
        } else if (state.equals("42P10")) {
            what = "'" + table + "' has no unique index on (consumer_name, dedup_key); create it as the shipped DDL does";
        } else if (state.equals("25006") || MYSQL_READ_ONLY.contains(code) || code == H2_READ_ONLY) {
            what = "the database is read-only for this connection (a replica or hot standby after a failover, "
                    + "read_only, default_transaction_read_only or a READ ONLY session?); point the DataSource at the "
                    + "writable primary";
        } else if (state.equals("42501") || state.startsWith("28") || MYSQL_DENIED.contains(code)
                || code == H2_NOT_ENOUGH_RIGHTS) {
            what = "permission denied (grant the database user SELECT, INSERT and UPDATE on '" + table + "', and DELETE "
                    + "for the retention purge, plus what the handler's own statements need)";
        } else {
            what = "the database refuses the statement for every record";
        }
        return what + "; database error: " + (e == null ? String.valueOf(failure) : "SQLState " + state + ", vendor code "
                + code + ": " + e.getMessage());
    }

    private static SQLException firstRefusal(Throwable failure) {
        Throwable current = failure;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (current instanceof SQLException sql) {
                for (SQLException next = sql; next != null; next = next.getNextException()) {
                    if (kindOf(next) == Kind.REFUSED) {
                        return next;
                    }
                }
            }
            current = current.getCause() == current ? null : current.getCause();
        }
        return null;
    }
}
