package io.dedupconsumer.kafka;

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
import org.jspecify.annotations.Nullable;

/**
 * Sends a record the runner gives up on to its dead-letter topic as {@link DeadLetter} defines it: the original key,
 * value and headers, byte for byte, plus headers naming the reason and where the record came from, to the record's
 * partition when the dead-letter topic has it.
 */
final class DeadLetterPublisher implements AutoCloseable {

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
     */
    Future<RecordMetadata> publish(ConsumerRecord<byte[], byte[]> record, DeadLetter letter) {
        CompletableFuture<RecordMetadata> published = new CompletableFuture<>();
        try {
            String topic = topicNaming.apply(record.topic());
            if (topic == null || topic.isBlank()) {
                throw new IllegalStateException("deadLetterTopic: the naming function returned no topic for '"
                        + record.topic() + "'");
            }
            Headers headers = letter.addHeaders(new RecordHeaders(record.headers().toArray()), record, consumerGroup,
                    true);
            Integer partition = partition(topic, record.partition());
            send(new ProducerRecord<>(topic, partition, record.key(), record.value(), headers), published, () ->
                    send(omitted(topic, partition, record.key(), headers, record, DeadLetter.Omission.VALUE), published,
                            () -> send(omitted(topic, partition, null, headers, record,
                                    DeadLetter.Omission.KEY_AND_VALUE), published, () ->
                                    send(omitted(topic, partition, null, libraryHeaders(headers, record), record,
                                            DeadLetter.Omission.OWN_HEADERS), published, null))));
        } catch (RuntimeException e) {
            published.completeExceptionally(e);
        }
        return published;
    }

    /** Sends {@code letter}; completes {@code published} with its outcome, or runs {@code whenTooLarge} instead. */
    private void send(ProducerRecord<byte[], byte[]> letter, CompletableFuture<RecordMetadata> published,
            @Nullable Runnable whenTooLarge) {
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

    private static ProducerRecord<byte[], byte[]> omitted(String topic, @Nullable Integer partition,
            byte @Nullable [] key, Headers headers, ConsumerRecord<byte[], byte[]> record, DeadLetter.Omission omission) {
        return new ProducerRecord<>(topic, partition, key, null,
                omission.addHeader(new RecordHeaders(headers.toArray()), record));
    }

    /** The dead letter's headers without those the record brought, which come first. */
    private static Headers libraryHeaders(Headers headers, ConsumerRecord<byte[], byte[]> record) {
        Header[] all = headers.toArray();
        return new RecordHeaders(Arrays.copyOfRange(all, record.headers().toArray().length, all.length));
    }

    /** {@link DeadLetter#partition}, for the dead-letter topic's partitions as the producer knows them. */
    private @Nullable Integer partition(String topic, int partition) {
        List<PartitionInfo> partitions = producer.partitionsFor(topic);
        return DeadLetter.partition(partition, partitions == null ? 0 : partitions.size());
    }

    void close(Duration timeout) {
        producer.close(timeout);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
