package io.dedupconsumer.core;

import java.util.Collection;
import java.util.Map;

/**
 * An optional fast check in front of the dedup table that spares the database hot duplicates (a producer stuck
 * re-sending, a replay of a whole topic). A hit is a verdict: the record is {@link Outcome#DUPLICATE} without a
 * database round trip (a look-up on every hit would cost what the guard saves). So the contract is that a false hit
 * is impossible by construction: the guard only ever repeats what a committed claim of exactly this consumer and this
 * key said. An implementation must
 * <ul>
 *   <li>keep its entries under an unambiguous, lossless encoding of both the consumer name and the dedup key, so that
 *       no other pair can ever read an entry (consumer names may contain {@code :}; keys may contain anything,
 *       including characters that have no UTF-8 form);</li>
 *   <li>return the fingerprint it was given: the {@link Deduplicator} counts a hit only when it equals the record's,
 *       so another payload under the same key always reaches the database (and is a {@link Outcome#CONFLICT}
 *       there);</li>
 *   <li>never throw, and answer quickly: a failure or a slow answer is a miss (a guard slower than the database must
 *       bypass itself, as {@code RedisDedupGuard} does);</li>
 *   <li>be shared by one dedup table only (one database, one environment): a key that another table committed says
 *       nothing about this one.</li>
 * </ul>
 * The {@link Deduplicator} calls {@link #remember} only after the claim's transaction committed (the transaction
 * runner's commit has returned), never for a claim that rolled back, nor for a guard hit, nor for CONFLICT or INVALID.
 *
 * <p>Why that can never lose an event: an entry is a fact, "this consumer's claim of this key, with this fingerprint,
 * committed". A record is skipped on a hit only when that fact holds for its own consumer, key and fingerprint, that
 * is, when the database holds (or held) the same claim and would answer DUPLICATE too. Every way an entry can go
 * wrong makes it missing, never false:
 * <ul>
 *   <li>a rolled-back transaction writes nothing (entries are written after the commit); a commit that fails or is in
 *       doubt writes nothing either (the record is retried, and the database decides);</li>
 *   <li>Redis flushed, an entry evicted or expired, Redis down or slow: a miss, the database decides;</li>
 *   <li>Redis restored from an old snapshot: its entries are older facts, still true (a claim, once committed, was
 *       applied), so they are hits the database would have answered the same way, or misses;</li>
 *   <li>an entry that outlives the key's row (the TTL longer than the retention window): still a committed claim of
 *       the same event, applied once; correctness does not depend on the TTL.</li>
 * </ul>
 * What the guard cannot know: a database that loses committed transactions (restored from a backup to an earlier
 * point) or a dedup row deleted by hand to have an event applied again. Flush the guard's keys (its prefix) then,
 * together with the database change.
 */
public interface DedupGuard {

    /**
     * What the guard remembers of some keys of one consumer.
     *
     * @return the entries it was told by {@link #remember} for exactly this consumer name and these keys; a key it
     *     does not know (or cannot reach in time) is simply absent
     */
    Map<String, Remembered> recall(String consumerName, Collection<String> dedupKeys);

    /**
     * Learns keys whose transaction has committed, with the fingerprint and first outcome of each. Best effort:
     * failures are swallowed (and counted).
     */
    void remember(String consumerName, Map<String, Remembered> entries);

    /** A committed claim: the payload's fingerprint and the outcome of its first delivery. */
    record Remembered(byte[] fingerprint, Outcome outcome) {
    }
}
