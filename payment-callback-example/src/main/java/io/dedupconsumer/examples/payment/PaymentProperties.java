package io.dedupconsumer.examples.payment;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.context.properties.bind.Name;

/**
 * The {@code payment.*} settings, checked when the service starts; a bad value stops it with a message naming the
 * property.
 *
 * @param topic where the notify endpoint publishes callbacks (keyed by order id); dead letters and alerts go to
 *     {@code <topic>-dlt}
 * @param partitions the topic's partitions when the service creates it
 * @param concurrency consumer threads (at most one per partition is busy)
 * @param endpoint the notify endpoint's settings ({@code payment.notify.*}; {@code notify} cannot name a record component)
 */
@ConfigurationProperties("payment")
record PaymentProperties(@DefaultValue("payment-callbacks") String topic, @DefaultValue("4") int partitions,
        @DefaultValue("2") int concurrency, @Name("notify") @DefaultValue Notify endpoint) {

    PaymentProperties {
        if (topic == null || !topic.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new IllegalArgumentException("payment.topic: '" + topic + "' is not a Kafka topic name");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("payment.partitions: " + partitions + " must be at least 1");
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("payment.concurrency: " + concurrency + " must be at least 1");
        }
    }

    /** The dead-letter topic: conflicts, invalid records, failures and business alerts. */
    String deadLetterTopic() {
        return topic + io.dedupconsumer.spring.DedupErrorHandling.DEAD_LETTER_SUFFIX;
    }

    /**
     * @param secret the HMAC-SHA256 key shared with the provider (at least 32 characters)
     * @param publishTimeout how long the endpoint waits for the broker's acknowledgement before answering 503
     */
    record Notify(String secret, @DefaultValue("10s") Duration publishTimeout) {
        Notify {
            if (publishTimeout == null || publishTimeout.isNegative() || publishTimeout.isZero()) {
                throw new IllegalArgumentException("payment.notify.publish-timeout: " + publishTimeout + " must be positive");
            }
        }
    }
}
