package io.dedupconsumer.core;

import java.util.Collection;
import java.util.Map;

/**
 * An optional fast check in front of the dedup table that spares the database hot duplicates (a producer stuck
 * re-sending, a replay of a whole topic). It is never the source of truth: it learns a key only after the key's
 * transaction committed, and when it is down, slow, flushed or evicted, the record simply goes to the database.
 *
 * <p>Implementations must never throw and must answer quickly (use short timeouts): a failure is a miss. Entries must
 * expire before the dedup table's retention window ends, or a record the table has forgotten could be skipped.
 */
public interface DedupGuard {

    /**
     * What the guard remembers of some keys.
     *
     * @return the entries it knows; a key it does not know (or cannot reach) is simply absent
     */
    Map<String, Remembered> recall(String consumerName, Collection<String> dedupKeys);

    /** Learns keys whose transaction has committed. Best effort: failures are swallowed (and counted). */
    void remember(String consumerName, Map<String, Remembered> entries);

    /** A committed claim: the payload's fingerprint and the outcome of its first delivery. */
    record Remembered(byte[] fingerprint, Outcome outcome) {
    }
}
