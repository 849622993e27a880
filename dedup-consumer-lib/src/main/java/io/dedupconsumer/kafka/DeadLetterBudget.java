package io.dedupconsumer.kafka;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * How long dead-lettering may hold a consumer, derived from its {@code max.poll.interval.ms}: every wait (reading a
 * record's original bytes back, the dead-letter producer's delivery, the wait for its acknowledgement) stays well
 * below the poll interval, so that a dead-letter cluster that is gone pauses the partition (the record is tried again,
 * its offset not committed) instead of getting the consumer evicted from its group. Both integrations use it.
 *
 * @param perStep the bound of each step: a read of original bytes, the producer's delivery timeout, the wait for the
 *     acknowledgements of one poll
 */
public record DeadLetterBudget(Duration perStep) {

    private static final Duration MAX_STEP = Duration.ofSeconds(30);
    private static final Duration MIN_STEP = Duration.ofSeconds(1);
    private static final long DEFAULT_MAX_POLL_INTERVAL_MS = 300_000;

    /** A fifth of the consumer's poll interval per step, between 1 and 30 seconds. */
    public static DeadLetterBudget of(Map<String, ?> consumerConfig) {
        Duration step = maxPollInterval(consumerConfig).dividedBy(5);
        return new DeadLetterBudget(step.compareTo(MAX_STEP) > 0 ? MAX_STEP : step.compareTo(MIN_STEP) < 0 ? MIN_STEP : step);
    }

    /** The consumer's {@code max.poll.interval.ms}, or Kafka's default when it is not set (or not a number). */
    public static Duration maxPollInterval(Map<String, ?> consumerConfig) {
        long interval = DEFAULT_MAX_POLL_INTERVAL_MS;
        Object configured = consumerConfig.get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
        if (configured != null) {
            try {
                interval = Long.parseLong(configured.toString().trim());
            } catch (NumberFormatException e) {
                // Kafka refuses it when the consumer starts; the default meanwhile
            }
        }
        return Duration.ofMillis(interval);
    }

    /**
     * The dead-letter producer's settings for this budget: {@code delivery.timeout.ms} and {@code max.block.ms} of a
     * step, {@code request.timeout.ms} of half a step (one retry fits), {@code linger.ms=0}.
     */
    public Map<String, Object> producerTimeouts() {
        return Map.of(ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, perStep.toMillis(),
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) requestTimeout().toMillis(),
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) perStep.toMillis());
    }

    /** The producer's request timeout: half a step, so that one retry of the request fits into the delivery timeout. */
    private Duration requestTimeout() {
        return perStep.dividedBy(2);
    }
}
