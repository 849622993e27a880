package io.dedupconsumer.jdbc;

/**
 * The row that already holds a dedup key: what a later delivery is compared against.
 *
 * @param outcome the outcome recorded for the first delivery, e.g. {@code PROCESSED} or {@code REJECTED}
 */
public record StoredClaim(String dedupKey, byte[] fingerprint, String outcome, String topic, int partition, long offset) {

    /** Where the first delivery came from, as {@code topic-partition@offset}. */
    public String firstDelivery() {
        return topic + "-" + partition + "@" + offset;
    }
}
