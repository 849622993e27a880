package io.dedupconsumer.examples.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.spring.DedupTemplate;
import io.dedupconsumer.spring.UnprocessableRecordException;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * The listener around the dedup protocol, on H2, MariaDB and PostgreSQL with the real broker for its alerts: what a
 * CONFLICT leaves in the database besides its dead letter. The records are made by hand, as the broker would deliver
 * them, so that a redelivery is the same record again.
 */
class PaymentCallbackListenerTests {

    private static final HexFormat HEX = HexFormat.of();

    private HikariDataSource dataSource;
    private DefaultKafkaProducerFactory<String, byte[]> producers;
    private JdbcTemplate jdbc;
    private PaymentCallbackListener listener;

    static Stream<TestDatabase> databases() {
        return Stream.of(TestDatabase.h2(), TestDatabase.mariadb(), TestDatabase.postgresql());
    }

    private void start(TestDatabase database) {
        dataSource = database.create("payment_listener");
        PaymentSchema.migrate(database, dataSource);
        jdbc = new JdbcTemplate(dataSource);
        KafkaBroker broker = KafkaBroker.shared();
        producers = new DefaultKafkaProducerFactory<>(broker.producerProps(), new StringSerializer(),
                new ByteArraySerializer());
        DedupTemplate dedup = PaymentSchema.dedupTemplate(dataSource);
        Clock clock = Clock.systemUTC();
        AnomalyAlerts alerts = new AnomalyAlerts(jdbc, new KafkaTemplate<>(producers),
                broker.uniqueTopic("payment-listener-dlt", 1), Duration.ofSeconds(10), clock);
        listener = new PaymentCallbackListener(dedup, new CallbackHandler(new Orders(jdbc, clock), new Ledger(jdbc, clock)),
                alerts, new Conflicts(jdbc, dedup.deduplicator(), clock));
    }

    @AfterEach
    void stop() {
        if (producers != null) {
            producers.destroy();
        }
        if (dataSource != null) {
            dataSource.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aConflictIsRecordedAsAnAnomalyRowOncePerRecordWhateverTheRedeliveries(TestDatabase database) throws Exception {
        start(database);
        PaymentSchema.placeOrder(jdbc, "o-1", OrderStatus.PENDING_PAYMENT, 500, "EUR");
        byte[] applied = PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 500, "EUR", "n-1");
        byte[] raised = PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 600, "EUR", "n-2");
        byte[] lowered = PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 400, "EUR", "n-3");
        assertThat(listener.consume(PaymentSchema.record("o-1", applied, 0)).outcome()).isEqualTo(Outcome.PROCESSED);

        for (int delivery = 0; delivery < 3; delivery++) {
            assertConflict(PaymentSchema.record("o-1", raised, 1));
        }
        assertConflict(PaymentSchema.record("o-1", lowered, 2));

        List<Map<String, Object>> rows = jdbc.queryForList("SELECT * FROM payment_conflict ORDER BY record_offset");
        assertThat(rows).as("one row per conflicting record, whatever its redeliveries").hasSize(2);
        Map<String, Object> first = lowerCaseKeys(rows.get(0));
        assertThat(first).containsEntry("record_topic", "payment-callbacks")
                .containsEntry("provider_tx_id", "tx-1")
                .containsEntry("callback_type", "SUCCESS")
                .containsEntry("order_id", "o-1")
                .containsEntry("currency", "EUR")
                .containsEntry("fingerprint", fingerprint(raised))
                .containsEntry("stored_fingerprint", fingerprint(applied))
                .containsEntry("stored_delivery", "payment-callbacks-0@0")
                .containsEntry("stored_outcome", "PROCESSED");
        assertThat(((Number) first.get("record_partition")).intValue()).isZero();
        assertThat(((Number) first.get("record_offset")).longValue()).isOne();
        assertThat(((Number) first.get("amount_minor")).longValue()).isEqualTo(600);
        assertThat(first.get("recorded_at")).isNotNull();
        Map<String, Object> second = lowerCaseKeys(rows.get(1));
        assertThat(((Number) second.get("amount_minor")).longValue()).isEqualTo(400);
        assertThat(second).containsEntry("fingerprint", fingerprint(lowered));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM payment WHERE order_id = 'o-1'", Integer.class))
                .as("the conflicts were not applied").isOne();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void concurrentDeliveriesOfOneConflictRecordItOnce(TestDatabase database) throws Exception {
        start(database);
        PaymentSchema.placeOrder(jdbc, "o-1", OrderStatus.PENDING_PAYMENT, 500, "EUR");
        listener.consume(PaymentSchema.record("o-1", PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 500, "EUR",
                "n-1"), 0));
        ConsumerRecord<String, byte[]> conflict = PaymentSchema.record("o-1",
                PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 600, "EUR", "n-2"), 1);
        int threads = 4;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Outcome>> outcomes = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                outcomes.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    try {
                        return listener.consume(conflict).outcome();
                    } catch (UnprocessableRecordException e) {
                        return e.result().outcome();
                    }
                }));
            }
            for (Future<Outcome> outcome : outcomes) {
                assertThat(outcome.get(30, TimeUnit.SECONDS)).isEqualTo(Outcome.CONFLICT);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM payment_conflict", Integer.class)).isOne();
    }

    private void assertConflict(ConsumerRecord<String, byte[]> record) {
        assertThatThrownBy(() -> listener.consume(record))
                .as("a conflict still goes to the error handler, for the dead-letter topic")
                .isInstanceOfSatisfying(UnprocessableRecordException.class,
                        e -> assertThat(e.result().outcome()).isEqualTo(Outcome.CONFLICT));
    }

    private static String fingerprint(byte[] body) throws InvalidCallbackException {
        return HEX.formatHex(PaymentCallback.parse(body).fingerprint());
    }

    private static Map<String, Object> lowerCaseKeys(Map<String, Object> row) {
        Map<String, Object> lower = new HashMap<>();
        row.forEach((column, value) -> lower.put(column.toLowerCase(Locale.ROOT),
                value instanceof String text ? text.strip() : value));
        return lower;
    }
}
