package io.dedupconsumer.chaos;

/**
 * One record of the dead-letter topic: which record of the source topic it stands for, and why it is there. Both the
 * library (no key, conflict, failed) and the inventory service (unknown SKU, malformed) write spring-kafka's
 * {@code kafka_dlt-original-*} headers and the library's {@code dedup-outcome} / {@code dedup-reason}.
 *
 * @param originalPartition the source record's partition, -1 when the header is missing
 * @param originalOffset the source record's offset, -1 when the header is missing
 * @param outcome {@code INVALID}, {@code CONFLICT}, {@code REJECTED} or {@code FAILED}; {@code null} when missing
 * @param reason the reason header, possibly {@code null}
 */
record DeadLetter(int originalPartition, long originalOffset, String outcome, String reason) {

    /** The source record's coordinates, as {@link TopicRecord#coordinates()} writes them. */
    String coordinates() {
        return originalPartition + "@" + originalOffset;
    }
}
