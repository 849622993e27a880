package io.dedupconsumer.core;

/**
 * What a runner does with a {@link Outcome#CONFLICT}: a second, different payload under a key already processed.
 * Either way it is logged and counted; it is never silently dropped.
 */
public enum ConflictPolicy {
    /** Publish the record to the dead-letter topic with the reason, then move on. The default. */
    DEAD_LETTER,
    /** Stop consuming, without committing the record's offset, so that an operator decides. */
    FAIL
}
