package io.dedupconsumer.kafka;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Sends a record the runner gives up on to its dead-letter topic: the original key, value and headers, byte for
 * byte, plus headers naming the reason and where the record came from (see {@link DeadLetterHeaders}). Like
 * spring-kafka's {@code DeadLetterPublishingRecoverer}, it keeps the record's partition when the dead-letter topic has
 * it, and lets the producer choose otherwise.
 */
final class DeadLetterPublisher implements AutoCloseable {

    private static final int MAX_STACKTRACE_CHARS = 8 * 1024;

    private final Producer<byte[], byte[]> producer;
    private final Function<String, String> topicNaming;
    private final String consumerGroup;

    DeadLetterPublisher(Producer<byte[], byte[]> producer, Function<String, String> topicNaming, String consumerGroup) {
        this.producer = producer;
        this.topicNaming = topicNaming;
        this.consumerGroup = consumerGroup;
    }

    /**
     * Sends the record. Never throws: a failure to even start the send is reported by the returned future. A record
     * the producer or the dead-letter topic refuses as too large is sent again without its value, then without its
     * key too, then without its own headers (the library's stay), with the reason in
     * {@value DeadLetterHeaders#VALUE_OMITTED}: the original stays in its topic, and
     * the partition is never stalled for good by a record that can never be dead-lettered whole.
     *
     * @param failure the exception behind the reason, or {@code null} (a conflict, a missing key)
     * @param keyFailure whether {@code failure} came from deserializing the key
     */
    Future<RecordMetadata> publish(ConsumerRecord<byte[], byte[]> record, DeadLetterReason reason, String explanation,
            String dedupKey, Throwable failure, boolean keyFailure) {
        CompletableFuture<RecordMetadata> published = new CompletableFuture<>();
        try {
            String topic = topicNaming.apply(record.topic());
            if (topic == null || topic.isBlank()) {
                throw new IllegalStateException("deadLetterTopic: the naming function returned no topic for '"
                        + record.topic() + "'");
            }
            Headers headers = headers(record, reason, explanation, dedupKey, failure, keyFailure);
            Integer partition = partition(topic, record.partition());
            send(new ProducerRecord<>(topic, partition, record.key(), record.value(), headers), published, () -> {
                int size = record.value() == null ? 0 : record.value().length;
                send(omitted(topic, partition, record.key(), headers, record, "the value of " + size
                        + " bytes is larger than the dead-letter producer or topic accepts"), published, () ->
                        send(omitted(topic, partition, null, headers, record, "the key and the value are larger than "
                                + "the dead-letter producer or topic accepts"), published, () ->
                                send(omitted(topic, partition, null, libraryHeaders(headers, record), record, "the "
                                        + "record's key, value and own headers are larger than the dead-letter "
                                        + "producer or topic accepts"), published, null)));
            });
        } catch (RuntimeException e) {
            published.completeExceptionally(e);
        }
        return published;
    }

    /** Sends {@code letter}; completes {@code published} with its outcome, or runs {@code whenTooLarge} instead. */
    private void send(ProducerRecord<byte[], byte[]> letter, CompletableFuture<RecordMetadata> published,
            Runnable whenTooLarge) {
        try {
            producer.send(letter, (metadata, exception) -> {
                if (exception == null) {
                    published.complete(metadata);
                } else if (whenTooLarge != null && (exception instanceof RecordTooLargeException
                        || exception instanceof RecordBatchTooLargeException)) {
                    // Not on the producer's I/O thread, which a send may have to wait for.
                    CompletableFuture.runAsync(whenTooLarge);
                } else {
                    published.completeExceptionally(exception);
                }
            });
        } catch (RuntimeException e) {
            published.completeExceptionally(e);
        }
    }

    private static ProducerRecord<byte[], byte[]> omitted(String topic, Integer partition, byte[] key, Headers headers,
            ConsumerRecord<byte[], byte[]> record, String why) {
        Headers reduced = new RecordHeaders(headers.toArray());
        text(reduced, DeadLetterHeaders.VALUE_OMITTED, why + "; the original is at " + record.topic() + "-"
                + record.partition() + "@" + record.offset());
        return new ProducerRecord<>(topic, partition, key, null, reduced);
    }

    /** The dead letter's headers without those the record brought, which {@link #headers} puts first. */
    private static Headers libraryHeaders(Headers headers, ConsumerRecord<byte[], byte[]> record) {
        Header[] all = headers.toArray();
        return new RecordHeaders(Arrays.copyOfRange(all, record.headers().toArray().length, all.length));
    }

    private Headers headers(ConsumerRecord<byte[], byte[]> record, DeadLetterReason reason, String explanation,
            String dedupKey, Throwable failure, boolean keyFailure) {
        Headers headers = new RecordHeaders(record.headers().toArray());
        text(headers, DeadLetterHeaders.ORIGINAL_TOPIC, record.topic());
        headers.add(DeadLetterHeaders.ORIGINAL_PARTITION, ByteBuffer.allocate(Integer.BYTES).putInt(record.partition()).array());
        headers.add(DeadLetterHeaders.ORIGINAL_OFFSET, ByteBuffer.allocate(Long.BYTES).putLong(record.offset()).array());
        headers.add(DeadLetterHeaders.ORIGINAL_TIMESTAMP, ByteBuffer.allocate(Long.BYTES).putLong(record.timestamp()).array());
        text(headers, DeadLetterHeaders.ORIGINAL_TIMESTAMP_TYPE, record.timestampType().toString());
        text(headers, DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP, consumerGroup);
        if (failure != null) {
            text(headers, keyFailure ? DeadLetterHeaders.KEY_EXCEPTION_FQCN : DeadLetterHeaders.EXCEPTION_FQCN,
                    failure.getClass().getName());
            if (!keyFailure && failure.getCause() != null) {
                text(headers, DeadLetterHeaders.EXCEPTION_CAUSE_FQCN, failure.getCause().getClass().getName());
            }
            text(headers, keyFailure ? DeadLetterHeaders.KEY_EXCEPTION_MESSAGE : DeadLetterHeaders.EXCEPTION_MESSAGE,
                    failure.getMessage() != null ? failure.getMessage() : failure.toString());
            text(headers, keyFailure ? DeadLetterHeaders.KEY_EXCEPTION_STACKTRACE : DeadLetterHeaders.EXCEPTION_STACKTRACE,
                    stackTrace(failure));
        }
        text(headers, DeadLetterHeaders.OUTCOME, reason.name());
        text(headers, DeadLetterHeaders.REASON, explanation);
        if (dedupKey != null) {
            text(headers, DeadLetterHeaders.DEDUP_KEY, dedupKey);
        }
        return headers;
    }

    /** The record's own partition when the dead-letter topic has it; otherwise {@code null}, the producer chooses. */
    private Integer partition(String topic, int partition) {
        List<PartitionInfo> partitions = producer.partitionsFor(topic);
        return partitions != null && partition < partitions.size() ? partition : null;
    }

    private static void text(Headers headers, String name, String value) {
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

    void close(Duration timeout) {
        producer.close(timeout);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
