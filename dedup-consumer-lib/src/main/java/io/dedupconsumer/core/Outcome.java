package io.dedupconsumer.core;

/**
 * What processing one record amounted to. Every record ends in exactly one of these, so none is silently lost.
 */
public enum Outcome {
    /** The key was new: the handler ran and its changes committed with the claim. */
    PROCESSED,
    /** The key was claimed before with the same fingerprint: a redelivery or a re-send; the handler did not run. */
    DUPLICATE,
    /**
     * The key was claimed before with a different fingerprint: two different payloads share one business key.
     * The handler did not run; this needs a human, so it is logged, counted and, by policy, dead-lettered.
     */
    CONFLICT,
    /** The key was new and the handler refused the record for a business reason (e.g. out of stock), recorded with it. */
    REJECTED,
    /** No usable dedup key (missing, too long, unreadable payload): nothing was claimed; dead-letter the record. */
    INVALID
}
