package io.dedupconsumer.examples.inventory;

import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.config.TopicBuilder;

/**
 * The inventory service: consumes stock events and keeps {@code stock} and {@code stock_ledger} right, exactly once
 * per event, on whatever Kafka and database {@code spring.kafka.*} and {@code spring.datasource.*} name. Its own tables
 * are migrated by Spring Boot's Flyway ({@code db/migration/{vendor}}), the dedup table by the library.
 */
@SpringBootApplication
@EnableConfigurationProperties(InventoryProperties.class)
public class InventoryApplication {

    /** Runs the service until it is stopped. */
    public static void main(String[] args) {
        SpringApplication.run(InventoryApplication.class, args);
    }

    /** The stock events topic, created if missing (a topic that exists is left as it is). */
    @Bean
    NewTopic stockEventsTopic(InventoryProperties properties) {
        return TopicBuilder.name(properties.topic()).partitions(properties.partitions()).build();
    }

    /** The dead-letter topic of the stock events, created if missing. */
    @Bean
    NewTopic stockEventsDeadLetterTopic(InventoryProperties properties) {
        return TopicBuilder.name(properties.deadLetterTopic()).partitions(properties.partitions()).build();
    }
}
