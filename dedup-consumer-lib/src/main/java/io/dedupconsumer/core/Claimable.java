package io.dedupconsumer.core;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;

/**
 * A record ready to claim: its dedup key and payload fingerprint, or its result when that was decided without a claim
 * (no usable key, a fingerprint that cannot be taken, a {@link DedupGuard} hit).
 */
record Claimable(@Nullable String key, byte @Nullable [] fingerprint, @Nullable DedupResult decided) {

    /**
     * Reads a record's key and fingerprint. Whatever is wrong with them makes the record {@link Outcome#INVALID} here,
     * before any transaction: a key that cannot be read, is missing, or cannot be stored exactly ({@link StoredKey}).
     */
    static Claimable of(ConsumerRecord<?, ?> record, DedupKey dedupKey, Fingerprint fingerprint) {
        String key;
        try {
            key = dedupKey.of(record);
        } catch (Exception e) {
            return invalid(null, "cannot read the dedup key (" + dedupKey + ") of " + coordinates(record) + ": " + e);
        }
        if (key == null || key.isEmpty()) {
            return invalid(null, "no dedup key: " + dedupKey + " is missing in " + coordinates(record));
        }
        String refusal = StoredKey.refusal(key);
        if (refusal != null) {
            return invalid(null, "the dedup key (" + dedupKey + ") of " + coordinates(record) + " " + refusal);
        }
        byte[] digest;
        try {
            digest = fingerprint.of(record);
        } catch (Exception e) {
            return invalid(key, "cannot fingerprint the payload of " + coordinates(record) + ": " + e);
        }
        if (digest == null) {
            return invalid(key, "the fingerprint function returned null for " + coordinates(record));
        }
        return new Claimable(key, digest.length > Fingerprint.MAX_LENGTH ? Fingerprint.sha256(digest) : digest, null);
    }

    /** This record's claim request; only for a claimable that is not {@link #decided()}. */
    ClaimRequest request(ConsumerRecord<?, ?> record) {
        return new ClaimRequest(key, fingerprint, record.topic(), record.partition(), record.offset());
    }

    /** This record decided by a guard's memory: a duplicate of a committed claim whose first outcome was {@code first}. */
    Claimable rememberedAs(Outcome first) {
        return new Claimable(key, fingerprint, new DedupResult(Outcome.DUPLICATE, key, null, first, null));
    }

    static String coordinates(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }

    private static Claimable invalid(@Nullable String key, String reason) {
        return new Claimable(key, null, DedupResult.invalid(key, reason));
    }
}
