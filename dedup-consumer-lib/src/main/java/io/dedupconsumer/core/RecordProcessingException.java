package io.dedupconsumer.core;

/**
 * A record's transaction failed and rolled back: the handler threw, or a database error other than an outage or a
 * deadlock occurred. The cause is the original exception. Retry the record with backoff; after the last attempt,
 * dead-letter it. Records before it in its batch committed; records after it did not run.
 */
public final class RecordProcessingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String topic;
    private final int partition;
    private final long offset;

    RecordProcessingException(String topic, int partition, long offset, Throwable cause) {
        super("processing " + topic + "-" + partition + "@" + offset + " failed and rolled back: " + cause, cause);
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
    }

    public String topic() {
        return topic;
    }

    public int partition() {
        return partition;
    }

    public long offset() {
        return offset;
    }
}
