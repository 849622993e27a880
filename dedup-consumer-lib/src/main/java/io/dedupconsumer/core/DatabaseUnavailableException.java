package io.dedupconsumer.core;

/**
 * The database cannot do the record's work now, for a reason that is not the record's: it cannot be reached, it
 * refuses the work whatever the record (the dedup table is missing, the database is read-only, a permission is
 * denied), or the record's rows stay locked past the transaction's time. Nothing of the record committed, or its
 * commit is in doubt: retry it, with backoff, for as long as it takes, and never dead-letter it or commit its offset;
 * a redelivery after an in-doubt commit is caught as a duplicate. {@link #reason()} says whom to wait for.
 */
public final class DatabaseUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why the database cannot do the work, which decides what waits and who is told. */
    public enum Reason {
        /** No connection could be had, or it broke (SQLState class 08, a pool timeout, a server shutdown): it comes back. */
        UNREACHABLE,
        /**
         * The database answered and refuses the work for every record: a missing table or column, a read-only
         * database, a denied permission. It lasts until an operator acts; report it at ERROR.
         */
        REFUSED,
        /**
         * A lock wait or a statement outlasted the deduplicator's transaction timeout: another transaction holds the
         * record's rows. Only this record (its partition) waits; the others go on.
         */
        TIMED_OUT
    }

    private final Reason reason;

    DatabaseUnavailableException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Why the database cannot do the work. */
    public Reason reason() {
        return reason;
    }
}
