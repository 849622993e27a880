package io.dedupconsumer.kafka;

/**
 * How a {@link DedupConsumerRunner} groups records into database transactions. Both give the same exactly-once
 * effect; they differ in throughput and in how much work a failure rolls back.
 */
public enum ProcessingMode {
    /** One transaction per record ({@code Deduplicator.process}). The default: simplest to reason about. */
    RECORD,
    /**
     * One transaction per poll ({@code Deduplicator.processBatch}): the throughput path, bounded by
     * {@code max.poll.records}. A failing record rolls its batch back; the records before it commit in a transaction
     * of their own, and the rest of the poll in another, without the failing record's partition while it waits for
     * its next attempt.
     */
    BATCH
}
