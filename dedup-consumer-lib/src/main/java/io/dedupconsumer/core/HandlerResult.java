package io.dedupconsumer.core;

import java.util.Objects;

/**
 * What a {@link RecordHandler} reports: the record was applied, or refused for a business reason that is recorded
 * (and committed) with the claim instead of being retried, e.g. "out of stock" or "order already closed".
 */
public final class HandlerResult {

    private static final HandlerResult PROCESSED = new HandlerResult(null);

    private final String rejection;

    private HandlerResult(String rejection) {
        this.rejection = rejection;
    }

    /** The record's effect was applied. */
    public static HandlerResult processed() {
        return PROCESSED;
    }

    /**
     * The record was refused for a business reason. Whatever the handler wrote still commits (e.g. a ledger row
     * that explains the refusal), and a redelivery of the record is a {@link Outcome#DUPLICATE} of this outcome.
     *
     * @param reason a short explanation, kept in the dedup table (at most 500 characters are kept)
     */
    public static HandlerResult rejected(String reason) {
        Objects.requireNonNull(reason, "reason");
        return new HandlerResult(reason);
    }

    /** Whether the handler refused the record. */
    public boolean isRejected() {
        return rejection != null;
    }

    /** The business reason, or {@code null} when the record was applied. */
    public String rejection() {
        return rejection;
    }

    @Override
    public String toString() {
        return rejection == null ? "PROCESSED" : "REJECTED(" + rejection + ")";
    }
}
