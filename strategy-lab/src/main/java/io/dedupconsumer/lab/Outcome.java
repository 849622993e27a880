package io.dedupconsumer.lab;

import java.sql.SQLException;

/**
 * What one delivery ended with, as the strategy saw it. Only the database decides whether an effect happened
 * twice; these outcomes explain how the deliveries that did not apply were turned away.
 */
enum Outcome {
    /** The strategy applied the effect and committed. */
    APPLIED("applied"),
    /** The strategy's own check recognised a duplicate and did nothing. */
    SKIPPED("skipped"),
    /** MySQL/MariaDB error 1062: the unique index refused a second claim. */
    DUPLICATE_KEY("dup-key"),
    /** Error 1213: InnoDB chose this transaction as a deadlock victim. */
    DEADLOCK("deadlock"),
    /** Error 1205: a row lock was not granted within innodb_lock_wait_timeout. */
    LOCK_WAIT_TIMEOUT("lock-wait-timeout"),
    /** A Redis lock could not be taken within the strategy's wait time. */
    LOCK_NOT_ACQUIRED("lock-not-acquired"),
    /** An optimistic update lost on the version column more often than its retry bound allows. */
    RETRIES_EXHAUSTED("retries-exhausted"),
    /** Anything else; logged where it happens. */
    FAILED("failed");

    private static final int ER_DUP_ENTRY = 1062;
    private static final int ER_LOCK_DEADLOCK = 1213;
    private static final int ER_LOCK_WAIT_TIMEOUT = 1205;

    private final String label;

    Outcome(String label) {
        this.label = label;
    }

    /** The short name shown in the result table. */
    String label() {
        return label;
    }

    /** Whether this outcome is an error rather than an application or a deliberate skip. */
    boolean isError() {
        return this != APPLIED && this != SKIPPED;
    }

    /** Classifies a failed statement by its vendor error code, never by message text. */
    static Outcome of(SQLException e) {
        return switch (e.getErrorCode()) {
            case ER_DUP_ENTRY -> DUPLICATE_KEY;
            case ER_LOCK_DEADLOCK -> DEADLOCK;
            case ER_LOCK_WAIT_TIMEOUT -> LOCK_WAIT_TIMEOUT;
            default -> FAILED;
        };
    }
}
