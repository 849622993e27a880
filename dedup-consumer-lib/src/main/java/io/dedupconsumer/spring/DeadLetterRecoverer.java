package io.dedupconsumer.spring;

import io.dedupconsumer.kafka.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.springframework.kafka.listener.ConsumerAwareRecordRecoverer;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.support.serializer.DeserializationException;

/**
 * The library's dead-letter recoverer for one listener, around spring-kafka's {@link DeadLetterPublishingRecoverer}:
 * <ul>
 *   <li>it publishes the bytes the broker delivered: when the listener received its key or value deserialized (text,
 *       an object), the record is read back as bytes first ({@link OriginalRecords}); an undeserializable record's
 *       bytes come from spring-kafka's exception header, as always;</li>
 *   <li>a record the dead-letter producer or topic cannot take (larger than {@code max.request.size} or
 *       {@code max.message.bytes}) is dead-lettered without its value, then without its key too, with the reason in
 *       {@value DeadLetterHeaders#VALUE_OMITTED}: never lost (the original stays in its topic, which the headers
 *       name) and never a partition stalled for good;</li>
 *   <li>every wait is bounded by the {@link DeadLetterBudget}; a failure throws, and the error handler tries the
 *       record again later without committing past it.</li>
 * </ul>
 */
final class DeadLetterRecoverer implements ConsumerAwareRecordRecoverer, AutoCloseable {

    private final DeadLetterPublishingRecoverer publisher;
    private final OriginalRecords originals;
    private final DeadLetterProducer producer;

    DeadLetterRecoverer(DeadLetterProducer producer, OriginalRecords originals) {
        this.producer = producer;
        this.publisher = DedupErrorHandling.deadLetterRecoverer(producer.template());
        this.originals = originals;
    }

    @Override
    public void accept(ConsumerRecord<?, ?> record, Consumer<?, ?> consumer, Exception exception) {
        ConsumerRecord<?, ?> original = isBytes(record) || DedupErrorHandling.find(exception, DeserializationException.class) != null
                ? record : original(record);
        try {
            publisher.accept(original, consumer, exception);
        } catch (RuntimeException tooLarge) {
            if (!isTooLarge(tooLarge)) {
                throw tooLarge;
            }
            int size = Math.max(original.serializedValueSize(), 0);
            try {
                publisher.accept(omitted(original, original.key(), "the value of " + size + " bytes is larger than the "
                        + "dead-letter producer or topic accepts"), consumer, exception);
            } catch (RuntimeException stillTooLarge) {
                if (!isTooLarge(stillTooLarge)) {
                    throw stillTooLarge;
                }
                publisher.accept(omitted(original, null, "the key and the value are larger than the dead-letter "
                        + "producer or topic accepts"), consumer, exception);
            }
        }
    }

    private ConsumerRecord<?, ?> original(ConsumerRecord<?, ?> record) {
        ConsumerRecord<byte[], byte[]> read = originals.read(record.topic(), record.partition(), record.offset());
        if (read != null) {
            return read;
        }
        return omitted(record, record.key() instanceof String || record.key() instanceof byte[] ? record.key() : null,
                "the topic no longer holds the original (deleted by retention or compaction) and the listener "
                        + "received the value as " + (record.value() == null ? "null" : record.value().getClass().getName()));
    }

    /** The record without its value (and with {@code key}), the reason in a header. */
    private static ConsumerRecord<Object, Object> omitted(ConsumerRecord<?, ?> record, Object key, String why) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add(DeadLetterHeaders.VALUE_OMITTED, (why + "; the original is at " + record.topic() + "-"
                + record.partition() + "@" + record.offset()).getBytes(StandardCharsets.UTF_8));
        return new ConsumerRecord<>(record.topic(), record.partition(), record.offset(), record.timestamp(),
                record.timestampType() == null ? TimestampType.NO_TIMESTAMP_TYPE : record.timestampType(),
                record.serializedKeySize(), record.serializedValueSize(), key, null, headers, Optional.empty());
    }

    private static boolean isBytes(ConsumerRecord<?, ?> record) {
        return (record.key() == null || record.key() instanceof byte[])
                && (record.value() == null || record.value() instanceof byte[]);
    }

    private static boolean isTooLarge(Throwable failure) {
        return DedupErrorHandling.find(failure, RecordTooLargeException.class) != null
                || DedupErrorHandling.find(failure, RecordBatchTooLargeException.class) != null;
    }

    @Override
    public void close() {
        originals.close();
        producer.close();
    }
}
