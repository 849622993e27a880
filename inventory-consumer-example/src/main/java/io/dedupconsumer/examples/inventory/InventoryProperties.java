package io.dedupconsumer.examples.inventory;

import io.dedupconsumer.spring.DedupErrorHandling;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The service's own settings, {@code inventory.*}. The dedup settings are the library's ({@code dedup.*}); Kafka and
 * the database are Spring Boot's ({@code spring.kafka.*}, {@code spring.datasource.*}).
 *
 * @param topic the topic of stock events, keyed by SKU
 * @param partitions partitions of the topic and of its dead-letter topic when the service creates them
 * @param concurrency listener threads of this instance; more than the partitions it is assigned sit idle
 * @param createTopics whether the service creates its topics when they are missing (it never changes existing ones)
 * @param listener {@code record} (the default: {@link StockEventListener}, one transaction per record) or
 *     {@code batch} (the throughput mode: {@link StockEventBatchListener}, one transaction and one JDBC batch per
 *     poll); checked here because a value neither listener is conditional on would start a service that consumes
 *     nothing
 */
@ConfigurationProperties("inventory")
record InventoryProperties(
        @DefaultValue("stock-events") String topic,
        @DefaultValue("4") int partitions,
        @DefaultValue("2") int concurrency,
        @DefaultValue("true") boolean createTopics,
        @DefaultValue("record") String listener) {

    /** Rejects settings that cannot work, naming the property. */
    InventoryProperties {
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("inventory.topic: must not be empty");
        }
        if (partitions < 1 || partitions > 10_000) {
            throw new IllegalArgumentException("inventory.partitions: " + partitions + " is out of range; use 1 to 10000");
        }
        if (concurrency < 1 || concurrency > 256) {
            throw new IllegalArgumentException("inventory.concurrency: " + concurrency + " is out of range; use 1 to 256");
        }
        if (!listener.equalsIgnoreCase("record") && !listener.equalsIgnoreCase("batch")) {
            throw new IllegalArgumentException("inventory.listener: '" + listener + "' is neither 'record' (one "
                    + "transaction per record) nor 'batch' (the throughput mode: one transaction per poll)");
        }
    }

    /**
     * Where records that need a human go: the topic's name plus {@code -dlt}, the library's convention, so that the
     * service's own dead letters (unknown SKU, malformed) land beside the library's (no dedup key, conflict).
     */
    String deadLetterTopic() {
        return topic + DedupErrorHandling.DEAD_LETTER_SUFFIX;
    }
}
