package io.dedupconsumer.kafka;

/**
 * Why a record went to the dead-letter topic; the value of the {@value DeadLetterHeaders#OUTCOME} header and the
 * {@code reason} tag of the {@code dedup.dead.letters} counter.
 */
public enum DeadLetterReason {
    /**
     * The record cannot be processed as it is: its key or value does not deserialize, or it has no usable dedup key
     * (missing, empty or longer than the dedup table holds). Retrying cannot help, so it is dead-lettered at once.
     */
    INVALID,
    /** Its dedup key was processed before with a different payload, and the conflict policy says dead-letter. */
    CONFLICT,
    /** Its transaction failed on every attempt (the handler threw, or the database refused the work). */
    FAILED
}
