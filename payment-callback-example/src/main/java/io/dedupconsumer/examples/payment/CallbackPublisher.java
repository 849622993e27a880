package io.dedupconsumer.examples.payment;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * Puts a verified callback on the topic, keyed by order id so that every callback of an order lands on one partition
 * and is consumed in the order it was received. Returns only when the broker acknowledged the write
 * ({@code acks=all}), because the endpoint may answer the provider "success" only then: after that answer the provider
 * stops re-sending, and a callback that was not stored would be lost for good.
 */
final class CallbackPublisher {

    private final KafkaTemplate<String, byte[]> template;
    private final String topic;
    private final Duration timeout;

    CallbackPublisher(KafkaTemplate<String, byte[]> template, String topic, Duration timeout) {
        this.template = template;
        this.topic = topic;
        this.timeout = timeout;
    }

    /**
     * Publishes the raw body and waits for the acknowledgement.
     *
     * @throws PublishFailedException when the broker did not acknowledge within the timeout, refused the write, or the
     *     producer could not reach it; the callback may or may not be stored, and the provider must send it again
     */
    void publish(PaymentCallback callback, byte[] body) throws PublishFailedException {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, callback.orderId(), body);
        try {
            template.send(record).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PublishFailedException("interrupted while waiting for the broker", e);
        } catch (TimeoutException e) {
            throw new PublishFailedException("no acknowledgement from the broker within " + timeout, e);
        } catch (ExecutionException e) {
            throw new PublishFailedException("the broker did not store the callback: " + e.getCause(), e.getCause());
        } catch (RuntimeException e) {
            // KafkaTemplate.send throws at once when the producer cannot even get the topic's metadata (max.block.ms).
            throw new PublishFailedException("the producer could not send the callback: " + e, e);
        }
    }

    /** The callback was not (certainly) stored; answer 5xx so that the provider sends it again. */
    static final class PublishFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        PublishFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
