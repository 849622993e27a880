package io.dedupconsumer.core;

/**
 * One record's claim on a dedup key: the key, the payload's fingerprint and where the record came from,
 * kept so that whoever debugs a duplicate can find the first delivery.
 */
record ClaimRequest(String dedupKey, byte[] fingerprint, String topic, int partition, long offset) {
}
