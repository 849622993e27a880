package io.dedupconsumer.core;

/**
 * The outcome of one record, with what is needed to explain it.
 *
 * @param outcome what happened
 * @param dedupKey the record's dedup key; {@code null} for {@link Outcome#INVALID} when none could be read
 * @param reason why the record was {@link Outcome#REJECTED}, {@link Outcome#INVALID} or in {@link Outcome#CONFLICT};
 *     {@code null} otherwise
 * @param firstOutcome for {@link Outcome#DUPLICATE} and {@link Outcome#CONFLICT}, the outcome recorded for the first
 *     delivery of the key (e.g. a duplicate of a {@code REJECTED} record); {@code null} otherwise
 * @param firstDelivery for {@link Outcome#DUPLICATE} and {@link Outcome#CONFLICT}, where the first delivery came from,
 *     as {@code topic-partition@offset}; {@code null} otherwise, and for a duplicate a {@link DedupGuard} recognised
 */
public record DedupResult(Outcome outcome, String dedupKey, String reason, Outcome firstOutcome, String firstDelivery) {

    static DedupResult processed(String key) {
        return new DedupResult(Outcome.PROCESSED, key, null, null, null);
    }

    static DedupResult rejected(String key, String reason) {
        return new DedupResult(Outcome.REJECTED, key, reason, null, null);
    }

    static DedupResult invalid(String key, String reason) {
        return new DedupResult(Outcome.INVALID, key, reason, null, null);
    }
}
