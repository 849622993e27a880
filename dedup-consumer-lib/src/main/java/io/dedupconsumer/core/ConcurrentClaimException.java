package io.dedupconsumer.core;

import java.sql.SQLException;

/**
 * A concurrent transaction claimed one of a batch's keys between the batch's look-up and its insert.
 * The transaction is no longer usable as planned: roll it back and claim the batch's records one by one,
 * where each claim waits for the other transaction and then sees its row.
 */
final class ConcurrentClaimException extends SQLException {
    private static final long serialVersionUID = 1L;

    ConcurrentClaimException(SQLException cause) {
        super("a concurrent consumer claimed one of the batch's keys first; roll back and claim record by record",
                cause.getSQLState(), cause.getErrorCode(), cause);
    }
}
