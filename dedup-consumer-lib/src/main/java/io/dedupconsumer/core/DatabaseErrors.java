package io.dedupconsumer.core;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransactionRollbackException;
import java.sql.SQLTransientConnectionException;

/** Classifies database failures by SQLState and vendor code (never by message text), through wrapping exceptions. */
final class DatabaseErrors {

    private static final int MYSQL_LOCK_WAIT_TIMEOUT = 1205;
    private static final int MYSQL_DEADLOCK = 1213;
    private static final int MAX_DEPTH = 16;

    private DatabaseErrors() {
    }

    /** A deadlock, serialization failure or lock wait timeout: the transaction rolled back and can simply run again. */
    static boolean isTransient(Throwable failure) {
        return anySqlException(failure, e -> {
            String state = e.getSQLState();
            return e instanceof SQLTransactionRollbackException
                    || (state != null && (state.startsWith("40") || state.equals("55P03")))
                    || e.getErrorCode() == MYSQL_LOCK_WAIT_TIMEOUT && "HY000".equals(state)
                    || e.getErrorCode() == MYSQL_DEADLOCK && state != null && state.startsWith("40");
        });
    }

    /** The connection failed or none could be had: an outage to wait out, not a problem of the record. */
    static boolean isUnavailable(Throwable failure) {
        return anySqlException(failure, e -> {
            String state = e.getSQLState();
            return e instanceof SQLTransientConnectionException
                    || e instanceof SQLNonTransientConnectionException
                    || e instanceof SQLRecoverableException
                    || (state != null && (state.startsWith("08") || state.startsWith("57P")));
        });
    }

    private interface SqlTest {
        boolean test(SQLException e);
    }

    private static boolean anySqlException(Throwable failure, SqlTest test) {
        Throwable current = failure;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (current instanceof SQLException sql) {
                SQLException next = sql;
                for (int chained = 0; next != null && chained < MAX_DEPTH; chained++) {
                    if (test.test(next)) {
                        return true;
                    }
                    next = next.getNextException();
                }
            }
            current = current.getCause() == current ? null : current.getCause();
        }
        return false;
    }
}
