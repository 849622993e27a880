package io.dedupconsumer.examples.inventory;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * The inventory service: consumes stock events and keeps {@code stock} and {@code stock_ledger} right, exactly once
 * per event, on whatever Kafka and database {@code spring.kafka.*} and {@code spring.datasource.*} name. Its own tables
 * are migrated by Spring Boot's Flyway ({@code db/migration/{vendor}}), the dedup table by the library, its topics
 * created if missing by {@link StockTopics}.
 */
@SpringBootApplication
@EnableConfigurationProperties(InventoryProperties.class)
public class InventoryApplication {

    /** Runs the service until it is stopped. */
    public static void main(String[] args) {
        SpringApplication.run(InventoryApplication.class, args);
    }
}
