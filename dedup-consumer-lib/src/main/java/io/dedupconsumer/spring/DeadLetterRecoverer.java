package io.dedupconsumer.spring;

import io.dedupconsumer.core.RecordProcessingException;
import io.dedupconsumer.kafka.DeadLetter;
import io.dedupconsumer.kafka.DeadLetterHeaders;
import io.dedupconsumer.kafka.DeadLetterReason;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.springframework.kafka.KafkaException;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.listener.ConsumerAwareRecordRecoverer;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.ListenerExecutionFailedException;
import org.springframework.kafka.support.KafkaUtils;
import org.springframework.kafka.support.SendResult;
import org.springframework.kafka.support.serializer.DeserializationException;

/**
 * The library's dead-letter recoverer for one listener, around spring-kafka's {@link DeadLetterPublishingRecoverer}:
 * <ul>
 *   <li>its dead letters are those of the kafka-clients runner, as {@link DeadLetter} defines them: the same topic,
 *       partition policy and headers (spring-kafka's own {@code kafka_dlt-*} headers are replaced by the contract's,
 *       whose names and encodings they share);</li>
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
        this.publisher = new ContractPublisher(producer.template(), true);
        // the stack-trace header can be as large as the value (a MessagingException's text embeds the message it
        // failed on): a record too large as it is goes without it, its reason headers stay
        this.withoutStackTrace = new ContractPublisher(producer.template(), false);
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
            try {
                withoutStackTrace.accept(omitted(original, original.key(), DeadLetter.Omission.VALUE), consumer,
                        exception);
            } catch (RuntimeException stillTooLarge) {
                if (!isTooLarge(stillTooLarge)) {
                    throw stillTooLarge;
                }
                try {
                    withoutStackTrace.accept(omitted(original, null, DeadLetter.Omission.KEY_AND_VALUE), consumer,
                            exception);
                } catch (RuntimeException evenSo) {
                    if (!isTooLarge(evenSo)) {
                        throw evenSo;
                    }
                    ConsumerRecord<?, ?> bare = withHeaders(original, new RecordHeaders());
                    withoutStackTrace.accept(omitted(bare, null, DeadLetter.Omission.OWN_HEADERS), consumer, exception);
                }
            }
        }
    }

    private ConsumerRecord<?, ?> original(ConsumerRecord<?, ?> record) {
        ConsumerRecord<byte[], byte[]> read = originals.read(record.topic(), record.partition(), record.offset());
        if (read != null) {
            return read;
        }
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add(DeadLetterHeaders.VALUE_OMITTED, ("the topic no longer holds the original (deleted by retention "
                + "or compaction) and the listener received the value as " + (record.value() == null ? "null"
                : record.value().getClass().getName()) + "; the original is at " + record.topic() + "-"
                + record.partition() + "@" + record.offset()).getBytes(StandardCharsets.UTF_8));
        return withoutValue(record, record.key() instanceof String || record.key() instanceof byte[] ? record.key() : null,
                headers);
    }

    private static ConsumerRecord<?, ?> withHeaders(ConsumerRecord<?, ?> record, RecordHeaders headers) {
        return new ConsumerRecord<>(record.topic(), record.partition(), record.offset(), record.timestamp(),
                record.timestampType() == null ? TimestampType.NO_TIMESTAMP_TYPE : record.timestampType(),
                record.serializedKeySize(), record.serializedValueSize(), record.key(), record.value(), headers,
                Optional.empty());
    }

    /** The record without its value (and with {@code key}), what is omitted in a header. */
    private static ConsumerRecord<Object, Object> omitted(ConsumerRecord<?, ?> record, Object key,
            DeadLetter.Omission omission) {
        return withoutValue(record, key, (RecordHeaders) omission.addHeader(new RecordHeaders(record.headers().toArray()),
                record));
    }

    private static ConsumerRecord<Object, Object> withoutValue(ConsumerRecord<?, ?> record, Object key,
            RecordHeaders headers) {
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
     * What the dead letter of a record that failed with {@code exception} says, in the contract's terms: a record
     * without a usable key or in conflict carries no exception (nothing failed, the library decided); an
     * undeserializable one the deserializer's exception, as the runner, which deserializes itself, sees it; a record
     * the listener kept failing on the listener's own exception, not spring-kafka's wrapper of it.
     */
    static DeadLetter deadLetter(Exception exception) {
        DedupErrorHandling.Verdict verdict = DedupErrorHandling.Verdict.of(exception);
        DeadLetterReason reason = DeadLetterReason.valueOf(verdict.outcome());
        UnprocessableRecordException unprocessable = DedupErrorHandling.find(exception, UnprocessableRecordException.class);
        if (unprocessable != null) {
            return new DeadLetter(reason, verdict.reason(), unprocessable.result().dedupKey(), null, false);
        }
        DeserializationException deserialization = DedupErrorHandling.find(exception, DeserializationException.class);
        if (deserialization != null) {
            return new DeadLetter(reason, verdict.reason(), null,
                    deserialization.getCause() != null ? deserialization.getCause() : deserialization,
                    deserialization.isKey());
        }
        RecordProcessingException processing = DedupErrorHandling.find(exception, RecordProcessingException.class);
        Throwable failure = processing != null ? processing : exception;
        while (failure instanceof ListenerExecutionFailedException || failure instanceof RecordProcessingException) {
            if (failure.getCause() == null) {
                break;
            }
            failure = failure.getCause();
        }
        return new DeadLetter(reason, verdict.reason(), null, failure, false);
    }

    /**
     * spring-kafka's publisher writing {@link DeadLetter}'s dead letters: the contract's headers instead of
     * spring-kafka's, its partition policy, and a send that fails at once (a record larger than
     * {@code max.request.size}, no metadata within {@code max.block.ms}) throws with its cause: spring-kafka's own
     * logs it and throws without one, and the cause is what tells a record too large from a cluster that is gone.
     */
    static final class ContractPublisher extends DeadLetterPublishingRecoverer {

        ContractPublisher(KafkaOperations<?, ?> template, boolean withStackTrace) {
            super(template, (record, exception) -> new TopicPartition(DeadLetter.topicOf(record.topic()),
                    record.partition()));
            excludeHeader(DeadLetterPublishingRecoverer.HeaderNames.HeadersToAdd.values());
            setVerifyPartition(false); // the contract's partition policy applies in publish
            addHeadersFunction((record, exception) -> deadLetter(exception).addHeaders(new RecordHeaders(), record,
                    KafkaUtils.getConsumerGroupId(), withStackTrace));
        }

        @Override
        protected void publish(ProducerRecord<Object, Object> outRecord, KafkaOperations<Object, Object> kafkaTemplate,
                ConsumerRecord<?, ?> inRecord) {
            CompletableFuture<SendResult<Object, Object>> sent;
            try {
                List<PartitionInfo> partitions = kafkaTemplate.partitionsFor(outRecord.topic());
                sent = kafkaTemplate.send(new ProducerRecord<>(outRecord.topic(),
                        DeadLetter.partition(inRecord.partition(), partitions == null ? 0 : partitions.size()),
                        outRecord.key(), outRecord.value(), outRecord.headers()));
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
