package io.dedupconsumer.examples.inventory;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.spring.DedupErrorHandling;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.stereotype.Component;

/**
 * Publishes a stock event the service refused (unknown SKU, malformed) to the dead-letter topic with the reason, so
 * that it is never lost and a human sees why it was not applied. The library dead-letters what it refuses itself (no
 * dedup key, a conflict) to the same topic with the same headers, {@code dedup-outcome} and {@code dedup-reason}.
 *
 * <p>It is called inside the dedup transaction and waits for the broker's acknowledgement: if the publish fails, the
 * transaction rolls back and the record is retried, so a refusal is never committed without its dead letter. If the
 * database commit fails after a successful publish, the redelivery publishes it again: dead letters are at least once,
 * and the original topic, partition and offset in their headers tell copies apart.
 */
@Component
final class DeadLetters {

    private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);
    private static final long SEND_TIMEOUT_SECONDS = 30;

    private final KafkaTemplate<String, String> kafka;
    private final String topic;

    DeadLetters(KafkaTemplate<String, String> kafka, InventoryProperties properties) {
        this.kafka = kafka;
        this.topic = properties.deadLetterTopic();
    }

    /**
     * Publishes {@code record} (same key, same value) with the reason and waits for the acknowledgement.
     *
     * @throws IllegalStateException when the broker did not acknowledge it; let it roll the transaction back
     */
    void publish(ConsumerRecord<String, String> record, String reason) {
        ProducerRecord<String, String> letter = new ProducerRecord<>(topic, record.key(), record.value());
        Headers headers = letter.headers();
        headers.add(DedupErrorHandling.OUTCOME_HEADER, Outcome.REJECTED.name().getBytes(StandardCharsets.UTF_8));
        headers.add(DedupErrorHandling.REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        headers.add(KafkaHeaders.DLT_ORIGINAL_TOPIC, record.topic().getBytes(StandardCharsets.UTF_8));
        headers.add(KafkaHeaders.DLT_ORIGINAL_PARTITION, ByteBuffer.allocate(Integer.BYTES).putInt(record.partition()).array());
        headers.add(KafkaHeaders.DLT_ORIGINAL_OFFSET, ByteBuffer.allocate(Long.BYTES).putLong(record.offset()).array());
        try {
            kafka.send(letter).get(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while dead-lettering " + coordinates(record), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not dead-letter " + coordinates(record) + " to " + topic + ": " + e, e);
        }
        log.warn("dead-lettered {} to {}: {}", coordinates(record), topic, reason);
    }

    private static String coordinates(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }
}
