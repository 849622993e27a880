package io.dedupconsumer.audit;

import java.time.Instant;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * One row of the dedup table, as the library wrote it.
 *
 * @param key the dedup key
 * @param fingerprint the payload's fingerprint at the claim
 * @param outcome {@code PROCESSED} or {@code REJECTED}
 * @param reason why a {@code REJECTED} record was refused
 * @param topic the source record's topic
 * @param partition the source record's partition
 * @param offset the source record's offset
 * @param processedAt when the claim was written, by the database's clock
 */
record Claim(String key, byte[] fingerprint, String outcome, @Nullable String reason, String topic, int partition,
        long offset, Instant processedAt) {

    boolean sameFingerprint(byte[] other) {
        return Arrays.equals(fingerprint, other);
    }

    boolean claimedAt(String t, int p, long o) {
        return topic.equals(t) && partition == p && offset == o;
    }

    String coordinates() {
        return topic + "-" + partition + "@" + offset;
    }
}
