package io.dedupconsumer.spring;

import io.dedupconsumer.kafka.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.springframework.kafka.KafkaException;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.listener.ConsumerAwareRecordRecoverer;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.support.SendResult;
import org.springframework.kafka.support.serializer.DeserializationException;

/**
 * The library's dead-letter recoverer for one listener, around spring-kafka's {@link DeadLetterPublishingRecoverer}:
 * <ul>
 *   <li>it publishes the bytes the broker delivered: when the listener received its key or value deserialized (text,
 *       an object), the record is read back as bytes first ({@link OriginalRecords}); an undeserializable record's
 *       bytes come from spring-kafka's exception header, as always;</li>
 *   <li>a record the dead-letter producer or topic cannot take (larger than {@code max.request.size} or
 *       {@code max.message.bytes}) is dead-lettered without its value and spring-kafka's stack-trace header, then
 *       without its key too, then without its own headers, with the reason in
 *       {@value DeadLetterHeaders#VALUE_OMITTED}: never lost (the original stays in its topic, which the headers
 *       name) and never a partition stalled for good;</li>
 *   <li>every wait is bounded by the {@link DeadLetterBudget}; a failure throws, and the error handler tries the
 *       record again later without committing past it.</li>
 * </ul>
 */
final class DeadLetterRecoverer implements ConsumerAwareRecordRecoverer, AutoCloseable {

    private final DeadLetterPublishingRecoverer publisher;
    private final DeadLetterPublishingRecoverer withoutStackTrace;
    private final OriginalRecords originals;
    private final DeadLetterProducer producer;

    DeadLetterRecoverer(DeadLetterProducer producer, OriginalRecords originals) {
        this.producer = producer;
        this.publisher = DedupErrorHandling.withReasonHeaders(new CausePreservingPublisher(producer.template()));
        // spring-kafka's stack-trace header can be as large as the value (a MessagingException's text embeds the
        // message it failed on): a record too large as it is goes without it, its reason headers stay
        this.withoutStackTrace = DedupErrorHandling.withReasonHeaders(new CausePreservingPublisher(producer.template()));
        withoutStackTrace.excludeHeader(DeadLetterPublishingRecoverer.HeaderNames.HeadersToAdd.EX_STACKTRACE);
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
                withoutStackTrace.accept(omitted(original, original.key(), "the value of " + size + " bytes is larger than the "
                        + "dead-letter producer or topic accepts"), consumer, exception);
            } catch (RuntimeException stillTooLarge) {
                if (!isTooLarge(stillTooLarge)) {
                    throw stillTooLarge;
                }
                try {
                    withoutStackTrace.accept(omitted(original, null, "the key and the value are larger than the "
                            + "dead-letter producer or topic accepts"), consumer, exception);
                } catch (RuntimeException evenSo) {
                    if (!isTooLarge(evenSo)) {
                        throw evenSo;
                    }
                    ConsumerRecord<?, ?> bare = withHeaders(original, new RecordHeaders());
                    withoutStackTrace.accept(omitted(bare, null, "the record's key, value and own headers are larger "
                            + "than the dead-letter producer or topic accepts"), consumer, exception);
                }
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

    private static ConsumerRecord<?, ?> withHeaders(ConsumerRecord<?, ?> record, RecordHeaders headers) {
        return new ConsumerRecord<>(record.topic(), record.partition(), record.offset(), record.timestamp(),
                record.timestampType() == null ? TimestampType.NO_TIMESTAMP_TYPE : record.timestampType(),
                record.serializedKeySize(), record.serializedValueSize(), record.key(), record.value(), headers,
                Optional.empty());
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

    /**
     * spring-kafka's publisher, but a send that fails at once (a record larger than {@code max.request.size}, no
     * metadata within {@code max.block.ms}) throws with its cause: spring-kafka's own logs it and throws without
     * one, and the cause is what tells a record too large from a cluster that is gone.
     */
    private static final class CausePreservingPublisher extends DeadLetterPublishingRecoverer {

        CausePreservingPublisher(KafkaOperations<Object, Object> template) {
            super(template, DedupErrorHandling::deadLetterTopic);
        }

        @Override
        protected void publish(ProducerRecord<Object, Object> outRecord, KafkaOperations<Object, Object> kafkaTemplate,
                ConsumerRecord<?, ?> inRecord) {
            CompletableFuture<SendResult<Object, Object>> sent;
            try {
                sent = kafkaTemplate.send(outRecord);
            } catch (RuntimeException e) {
                throw new KafkaException("Dead-letter publication to " + outRecord.topic() + " failed for: "
                        + inRecord.topic() + "-" + inRecord.partition() + "@" + inRecord.offset(), e);
            }
            verifySendResult(kafkaTemplate, outRecord, sent, inRecord);
        }
    }

    @Override
    public void close() {
        originals.close();
        producer.close();
    }
}
