package io.dedupconsumer.examples.payment;

import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.jdbc.DedupSchema;
import io.dedupconsumer.spring.DedupTemplate;
import io.dedupconsumer.spring.SpringTransactionRunner;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.flywaydb.core.Flyway;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

/**
 * Test support: the service's schema on a fresh test database, the whole service on one, orders in any status,
 * callback records.
 */
final class PaymentSchema {

    private PaymentSchema() {
    }

    /** Applies the service's migrations (the same files Boot's Flyway runs) and the dedup table's. */
    static void migrate(TestDatabase database, DataSource dataSource) {
        String folder = switch (database.name()) {
            case "mariadb" -> "mysql";
            case "postgresql" -> "postgresql";
            default -> "h2";
        };
        Flyway.configure().dataSource(dataSource).locations("classpath:db/payment/" + folder).load().migrate();
        DedupSchema.migrate(dataSource);
    }

    /**
     * The consumer's dedup protocol on {@code dataSource} as the service builds it (the callback's key and fingerprint,
     * a Spring-managed transaction that {@code JdbcTemplate} joins, conflicts dead-lettered), without Kafka.
     */
    static DedupTemplate dedupTemplate(DataSource dataSource) {
        return new DedupTemplate(PaymentConfiguration.callbackDeduplicator()
                .consumerName("payment-test")
                .transactionRunner(new SpringTransactionRunner(new DataSourceTransactionManager(dataSource), dataSource))
                .meterRegistry(new SimpleMeterRegistry())
                .build(), ConflictPolicy.DEAD_LETTER);
    }

    /**
     * Starts the whole service on a random local port, the shared broker and a fresh database of {@code database},
     * consuming {@code topic} as group {@code group}.
     *
     * @param more further {@code --name=value} settings
     */
    static ConfigurableApplicationContext startService(TestDatabase database, String topic, String group, String secret,
            String... more) {
        String name = database.createDatabase("payment_service");
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--server.address=127.0.0.1",
                "--spring.kafka.bootstrap-servers=" + KafkaBroker.shared().bootstrapServers(),
                "--spring.kafka.consumer.group-id=" + group,
                "--spring.datasource.url=" + database.jdbcUrl(name),
                "--spring.datasource.username=" + database.user(),
                "--spring.datasource.password=" + database.password(),
                "--payment.topic=" + topic,
                "--payment.notify.secret=" + secret));
        args.addAll(List.of(more));
        return new SpringApplicationBuilder(PaymentCallbackApplication.class).run(args.toArray(String[]::new));
    }

    /** Places an order directly in {@code status}, version 0: a test fixture, not how the service moves orders. */
    static void placeOrder(JdbcTemplate jdbc, String id, OrderStatus status, long amountMinor, String currency) {
        jdbc.update("INSERT INTO orders (id, status, amount_minor, currency, version, created_at) VALUES (?, ?, ?, ?, 0, ?)",
                id, status.name(), amountMinor, currency, java.sql.Timestamp.from(Instant.now()));
    }

    /** A notification body as a provider words it. */
    static byte[] body(String tx, String orderId, CallbackType type, long amountMinor, String currency, String notifyId) {
        return String.format(Locale.ROOT, "{\"transaction_id\":\"%s\",\"order_id\":\"%s\",\"type\":\"%s\",\"amount\":%d,"
                + "\"currency\":\"%s\",\"notify_id\":\"%s\",\"notify_time\":\"2026-01-05T10:15:30Z\"}", tx, orderId, type,
                amountMinor, currency, notifyId).getBytes(StandardCharsets.UTF_8);
    }

    /** The record the notify endpoint would have published for {@code body}. */
    static ConsumerRecord<String, byte[]> record(String orderId, byte[] body, long offset) {
        return new ConsumerRecord<>("payment-callbacks", 0, offset, orderId, body);
    }
}
