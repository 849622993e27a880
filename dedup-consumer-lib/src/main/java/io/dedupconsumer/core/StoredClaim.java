package io.dedupconsumer.core;

/**
 * The row that already holds a dedup key: what a later delivery is compared against.
 *
 * @param outcome the outcome recorded for the first delivery, {@link Outcome#PROCESSED} or {@link Outcome#REJECTED}
 */
record StoredClaim(String dedupKey, byte[] fingerprint, Outcome outcome, String topic, int partition, long offset) {

    /** Where the first delivery came from, as {@code topic-partition@offset}. */
    String firstDelivery() {
        return topic + "-" + partition + "@" + offset;
    }
}
