package io.dedupconsumer.chaos;

/**
 * One record of the stock events topic as the verifier sees it: where it is and what it carries.
 *
 * @param partition the partition
 * @param offset its offset in the partition
 * @param key the record key (the SKU), possibly {@code null}
 * @param value the record value as text, possibly {@code null}
 */
record TopicRecord(int partition, long offset, String key, String value) {

    /** {@code partition@offset}, the way reports name a record. */
    String coordinates() {
        return partition + "@" + offset;
    }
}
