package io.dedupconsumer.kafka;

/**
 * The headers a {@link DedupConsumerRunner} adds to a dead-lettered record, after the record's own headers (which
 * are kept, so read these with {@code Headers.lastHeader}). The {@code kafka_dlt-*} names and encodings are those of
 * spring-kafka's {@code DeadLetterPublishingRecoverer}, so tools that already read Spring dead-letter topics read
 * ours: texts are UTF-8, a partition is a 4-byte big-endian int, offsets and timestamps are 8-byte big-endian longs.
 */
public final class DeadLetterHeaders {

    /** The topic the record was consumed from (UTF-8). */
    public static final String ORIGINAL_TOPIC = "kafka_dlt-original-topic";
    /** The partition the record was consumed from (4-byte int). */
    public static final String ORIGINAL_PARTITION = "kafka_dlt-original-partition";
    /** The record's offset (8-byte long). */
    public static final String ORIGINAL_OFFSET = "kafka_dlt-original-offset";
    /** The record's timestamp (8-byte long). */
    public static final String ORIGINAL_TIMESTAMP = "kafka_dlt-original-timestamp";
    /** The record's timestamp type, e.g. {@code CreateTime} (UTF-8). */
    public static final String ORIGINAL_TIMESTAMP_TYPE = "kafka_dlt-original-timestamp-type";
    /** The consumer group that gave up on the record (UTF-8). */
    public static final String ORIGINAL_CONSUMER_GROUP = "kafka_dlt-original-consumer-group";
    /** The class of the exception that failed the value or the processing, when there was one (UTF-8). */
    public static final String EXCEPTION_FQCN = "kafka_dlt-exception-fqcn";
    /** The class of that exception's cause, when it has one (UTF-8). */
    public static final String EXCEPTION_CAUSE_FQCN = "kafka_dlt-exception-cause-fqcn";
    /** That exception's message (UTF-8). */
    public static final String EXCEPTION_MESSAGE = "kafka_dlt-exception-message";
    /** That exception's stack trace, shortened to a few kilobytes (UTF-8). */
    public static final String EXCEPTION_STACKTRACE = "kafka_dlt-exception-stacktrace";
    /** The class of the exception that failed the key's deserialization (UTF-8). */
    public static final String KEY_EXCEPTION_FQCN = "kafka_dlt-key-exception-fqcn";
    /** That exception's message (UTF-8). */
    public static final String KEY_EXCEPTION_MESSAGE = "kafka_dlt-key-exception-message";
    /** That exception's stack trace, shortened to a few kilobytes (UTF-8). */
    public static final String KEY_EXCEPTION_STACKTRACE = "kafka_dlt-key-exception-stacktrace";
    /** Why the record was dead-lettered: a {@link DeadLetterReason} name, {@code INVALID}, {@code CONFLICT} or {@code FAILED}. */
    public static final String OUTCOME = "dedup-outcome";
    /** A sentence explaining the outcome, for the operator who reads the dead-letter topic (UTF-8). */
    public static final String REASON = "dedup-reason";
    /** The record's dedup key, when one could be read (UTF-8). */
    public static final String DEDUP_KEY = "dedup-key";
    /**
     * Present when the dead letter carries no value (or no key either): why (UTF-8), e.g. the record is larger than
     * the dead-letter producer or topic accepts. The original then stays at its topic, partition and offset (the
     * {@code kafka_dlt-original-*} headers) for as long as the topic keeps it.
     */
    public static final String VALUE_OMITTED = "dedup-value-omitted";

    private DeadLetterHeaders() {
    }
}
