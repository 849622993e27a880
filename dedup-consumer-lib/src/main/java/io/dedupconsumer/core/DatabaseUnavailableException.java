package io.dedupconsumer.core;

/**
 * The database could not be reached or lost the connection (SQLState class 08, a pool timeout, a server shutdown).
 * Nothing of the record committed, or its commit is in doubt: retry it, with backoff, for as long as it takes, and
 * never dead-letter it or commit its offset; a redelivery after an in-doubt commit is caught as a duplicate.
 */
public final class DatabaseUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
