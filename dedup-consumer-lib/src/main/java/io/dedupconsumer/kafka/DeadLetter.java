package io.dedupconsumer.kafka;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.jspecify.annotations.Nullable;

/**
 * The one dead-letter contract of both integrations, the kafka-clients {@link DedupConsumerRunner} and the Spring
 * {@code @Deduplicated} listener: why a record is dead-lettered, and what its dead letter looks like. A poison record
 * comes out the same through either, so one tool reads every dead-letter topic of the library.
 *
 * <ul>
 *   <li><b>Topic</b>: {@code <topic>}{@value #TOPIC_SUFFIX} ({@link #topicOf}), spring-kafka's default.</li>
 *   <li><b>Partition</b>: the source record's partition when the dead-letter topic has it, otherwise the producer's
 *       choice ({@link #partition}); spring-kafka's {@code DeadLetterPublishingRecoverer} does the same by default.
 *       A dead-letter topic with as many partitions as its source keeps each key's dead letters in order.</li>
 *   <li><b>Key, value and headers</b>: the bytes the broker delivered, the record's own headers first, then
 *       {@link #addHeaders the library's}: where it came from ({@code kafka_dlt-original-*}), the exception that
 *       failed it when one did ({@code kafka_dlt-exception-*}, or {@code kafka_dlt-key-exception-*} for its key), then
 *       {@value DeadLetterHeaders#OUTCOME}, {@value DeadLetterHeaders#REASON} and, when known,
 *       {@value DeadLetterHeaders#DEDUP_KEY}; names and encodings in {@link DeadLetterHeaders}. A record without a
 *       usable dedup key and a conflict carry no exception headers: nothing failed, the library decided.</li>
 *   <li><b>Too large</b>: a record the dead-letter producer or topic refuses as too large goes without its value,
 *       then without its key too, then without its own headers, with the reason in
 *       {@value DeadLetterHeaders#VALUE_OMITTED} ({@link Omission}).</li>
 * </ul>
 *
 * @param reason why the record is dead-lettered
 * @param explanation a sentence for the operator, the value of {@value DeadLetterHeaders#REASON}
 * @param dedupKey the record's dedup key, when one could be read
 * @param failure the exception that failed the record: the deserializer's, or the handler's on its last attempt;
 *     {@code null} when nothing failed (a missing key, a conflict)
 * @param keyFailure whether {@code failure} came from deserializing the key
 */
public record DeadLetter(DeadLetterReason reason, @Nullable String explanation, @Nullable String dedupKey,
        @Nullable Throwable failure, boolean keyFailure) {

    /** The dead-letter topic of topic {@code t} is {@code t} followed by this suffix. */
    public static final String TOPIC_SUFFIX = "-dlt";

    private static final int MAX_STACKTRACE_CHARS = 8 * 1024;

    /** The dead-letter topic of {@code topic}: {@code topic} followed by {@value #TOPIC_SUFFIX}. */
    public static String topicOf(String topic) {
        return topic + TOPIC_SUFFIX;
    }

    /**
     * The partition policy: the source partition when the dead-letter topic has it, else {@code null}, for the producer
     * to choose.
     *
     * @param deadLetterPartitions how many partitions the dead-letter topic has
     */
    public static @Nullable Integer partition(int sourcePartition, int deadLetterPartitions) {
        return sourcePartition >= 0 && sourcePartition < deadLetterPartitions ? sourcePartition : null;
    }

    /**
     * Adds the library's headers to {@code headers}, which hold the record's own.
     *
     * @param record the source record (its coordinates and timestamp are read, not its key or value)
     * @param consumerGroup the group that gave up on the record, or {@code null} when unknown
     * @param withStackTrace whether to add the failure's stack trace, shortened to a few kilobytes
     * @return {@code headers}
     */
    public Headers addHeaders(Headers headers, ConsumerRecord<?, ?> record, @Nullable String consumerGroup,
            boolean withStackTrace) {
        text(headers, DeadLetterHeaders.ORIGINAL_TOPIC, record.topic());
        headers.add(DeadLetterHeaders.ORIGINAL_PARTITION,
                ByteBuffer.allocate(Integer.BYTES).putInt(record.partition()).array());
        headers.add(DeadLetterHeaders.ORIGINAL_OFFSET, ByteBuffer.allocate(Long.BYTES).putLong(record.offset()).array());
        headers.add(DeadLetterHeaders.ORIGINAL_TIMESTAMP,
                ByteBuffer.allocate(Long.BYTES).putLong(record.timestamp()).array());
        if (record.timestampType() != null) {
            text(headers, DeadLetterHeaders.ORIGINAL_TIMESTAMP_TYPE, record.timestampType().toString());
        }
        text(headers, DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP, consumerGroup);
        if (failure != null) {
            text(headers, keyFailure ? DeadLetterHeaders.KEY_EXCEPTION_FQCN : DeadLetterHeaders.EXCEPTION_FQCN,
                    failure.getClass().getName());
            if (!keyFailure && failure.getCause() != null) {
                text(headers, DeadLetterHeaders.EXCEPTION_CAUSE_FQCN, failure.getCause().getClass().getName());
            }
            text(headers, keyFailure ? DeadLetterHeaders.KEY_EXCEPTION_MESSAGE : DeadLetterHeaders.EXCEPTION_MESSAGE,
                    failure.getMessage() != null ? failure.getMessage() : failure.toString());
            if (withStackTrace) {
                text(headers, keyFailure ? DeadLetterHeaders.KEY_EXCEPTION_STACKTRACE
                        : DeadLetterHeaders.EXCEPTION_STACKTRACE, stackTrace(failure));
            }
        }
        text(headers, DeadLetterHeaders.OUTCOME, reason.name());
        text(headers, DeadLetterHeaders.REASON, explanation);
        text(headers, DeadLetterHeaders.DEDUP_KEY, dedupKey);
        return headers;
    }

    /** What a dead letter too large for the dead-letter producer or topic goes without, in the order tried. */
    public enum Omission {
        /** The value. */
        VALUE,
        /** The key and the value. */
        KEY_AND_VALUE,
        /** The key, the value and the record's own headers (the library's stay). */
        OWN_HEADERS;

        /** Adds {@value DeadLetterHeaders#VALUE_OMITTED}: what is left out, and where the original stays. */
        public Headers addHeader(Headers headers, ConsumerRecord<?, ?> record) {
            String why = switch (this) {
                case VALUE -> "the value of " + Math.max(record.serializedValueSize(), 0) + " bytes is larger than the "
                        + "dead-letter producer or topic accepts";
                case KEY_AND_VALUE -> "the key and the value are larger than the dead-letter producer or topic accepts";
                case OWN_HEADERS -> "the record's key, value and own headers are larger than the dead-letter producer "
                        + "or topic accepts";
            };
            text(headers, DeadLetterHeaders.VALUE_OMITTED, why + "; the original is at " + record.topic() + "-"
                    + record.partition() + "@" + record.offset());
            return headers;
        }
    }

    private static void text(Headers headers, String name, @Nullable String value) {
        if (value != null) {
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String stackTrace(Throwable failure) {
        StringWriter out = new StringWriter();
        failure.printStackTrace(new PrintWriter(out));
        String trace = out.toString();
        return trace.length() <= MAX_STACKTRACE_CHARS ? trace : trace.substring(0, MAX_STACKTRACE_CHARS) + "\n\t...";
    }
}
