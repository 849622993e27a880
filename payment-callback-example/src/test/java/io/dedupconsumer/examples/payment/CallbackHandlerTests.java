package io.dedupconsumer.examples.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.core.RecordProcessingException;
import io.dedupconsumer.spring.DedupTemplate;
import io.dedupconsumer.spring.UnprocessableRecordException;
import io.dedupconsumer.testkit.TestDatabase;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The consumer's handling of callbacks, through the real dedup protocol (claim and handler in one Spring-managed
 * transaction, the handler writing with {@code JdbcTemplate}) on H2, MariaDB and PostgreSQL, without Kafka: the
 * records are made by hand.
 */
class CallbackHandlerTests {

    private HikariDataSource dataSource;
    private JdbcTemplate jdbc;
    private DedupTemplate dedup;
    private CallbackHandler handler;
    private long offset;

    static Stream<TestDatabase> databases() {
        return Stream.of(TestDatabase.h2(), TestDatabase.mariadb(), TestDatabase.postgresql());
    }

    private void start(TestDatabase database) {
        dataSource = database.create("payment_handler");
        PaymentSchema.migrate(database, dataSource);
        jdbc = new JdbcTemplate(dataSource);
        dedup = PaymentSchema.dedupTemplate(dataSource);
        Clock clock = Clock.systemUTC();
        handler = new CallbackHandler(new Orders(jdbc, clock), new Ledger(jdbc, clock));
    }

    @AfterEach
    void stop() {
        if (dataSource != null) {
            dataSource.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void everyCallbackTypeInEveryStatusFollowsTheTransitionTable(TestDatabase database) {
        start(database);
        SoftAssertions softly = new SoftAssertions();
        for (OrderStatus status : OrderStatus.values()) {
            for (CallbackType type : CallbackType.values()) {
                String order = status + "-" + type;
                PaymentSchema.placeOrder(jdbc, order, status, 2500, "EUR");
                Transition move = type.transition();
                boolean moves = move.from() == status;

                DedupResult result = process(order, "tx-" + order, type, 2500, "EUR");

                String cell = type + " while " + status;
                softly.assertThat(result.outcome()).as(cell).isEqualTo(moves ? Outcome.PROCESSED : Outcome.REJECTED);
                if (!moves) {
                    Verdict refusal = type == CallbackType.SUCCESS ? Verdict.REFUND_FOLLOWUP : Verdict.FAILURE_IGNORED;
                    softly.assertThat(result.reason()).as(cell).startsWith(refusal + ": ").contains("is " + status);
                }
                softly.assertThat(status(order)).as(cell + ": status").isEqualTo(moves ? move.to() : status);
                softly.assertThat(version(order)).as(cell + ": version").isEqualTo(moves ? 1 : 0);
                softly.assertThat(rows("payment", order)).as(cell + ": payments")
                        .isEqualTo(type == CallbackType.SUCCESS && moves ? 1 : 0);
                softly.assertThat(rows("refund_followup", order)).as(cell + ": refund follow-ups")
                        .isEqualTo(type == CallbackType.SUCCESS && !moves ? 1 : 0);
                softly.assertThat(rows("payment_anomaly", order)).as(cell + ": anomalies").isZero();
            }
        }
        softly.assertAll();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aSuccessWithAnotherAmountOrCurrencyIsRecordedAsAnAnomalyAndNotApplied(TestDatabase database) {
        start(database);
        PaymentSchema.placeOrder(jdbc, "o-amount", OrderStatus.PENDING_PAYMENT, 10000, "EUR");
        PaymentSchema.placeOrder(jdbc, "o-currency", OrderStatus.PENDING_PAYMENT, 10000, "EUR");

        DedupResult amount = process("o-amount", "tx-a", CallbackType.SUCCESS, 9999, "EUR");
        DedupResult currency = process("o-currency", "tx-c", CallbackType.SUCCESS, 10000, "USD");

        assertThat(amount.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(amount.reason()).startsWith("AMOUNT_MISMATCH: ").contains("10000 EUR").contains("9999 EUR");
        assertThat(currency.reason()).startsWith("AMOUNT_MISMATCH: ").contains("10000 USD");
        for (String order : List.of("o-amount", "o-currency")) {
            assertThat(status(order)).isEqualTo(OrderStatus.PENDING_PAYMENT);
            assertThat(version(order)).isZero();
            assertThat(rows("payment", order)).isZero();
            assertThat(rows("payment_anomaly", order)).isOne();
        }
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM payment_anomaly WHERE alerted_at IS NULL", Integer.class))
                .as("alerts wait in the outbox until the listener sent them").isEqualTo(2);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aCallbackForAnUnknownOrderIsRecordedAsAnAnomaly(TestDatabase database) {
        start(database);
        DedupResult result = process("o-nowhere", "tx-1", CallbackType.SUCCESS, 100, "EUR");
        assertThat(result.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(result.reason()).startsWith("UNKNOWN_ORDER: ");
        assertThat(rows("payment_anomaly", "o-nowhere")).isOne();
        assertThat(rows("orders_by_id", "o-nowhere")).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aResendWithANewNotifyIdIsADuplicateAndChangesNothing(TestDatabase database) {
        start(database);
        PaymentSchema.placeOrder(jdbc, "o-1", OrderStatus.PENDING_PAYMENT, 500, "EUR");
        assertThat(process("o-1", "tx-1", CallbackType.SUCCESS, 500, "EUR", "n-1").outcome()).isEqualTo(Outcome.PROCESSED);

        DedupResult resent = process("o-1", "tx-1", CallbackType.SUCCESS, 500, "EUR", "n-2");

        assertThat(resent.outcome()).isEqualTo(Outcome.DUPLICATE);
        assertThat(resent.firstOutcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(version("o-1")).isOne();
        assertThat(rows("payment", "o-1")).isOne();
        assertThat(rows("refund_followup", "o-1")).as("a re-send is not a second payment").isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void theSameTransactionAndTypeWithAnotherAmountIsAConflictForTheDeadLetterTopic(TestDatabase database) {
        start(database);
        PaymentSchema.placeOrder(jdbc, "o-1", OrderStatus.PENDING_PAYMENT, 500, "EUR");
        process("o-1", "tx-1", CallbackType.SUCCESS, 500, "EUR");

        assertThatThrownBy(() -> process("o-1", "tx-1", CallbackType.SUCCESS, 600, "EUR"))
                .isInstanceOfSatisfying(UnprocessableRecordException.class,
                        e -> assertThat(e.result().outcome()).isEqualTo(Outcome.CONFLICT));
        assertThat(version("o-1")).isOne();
        assertThat(rows("payment", "o-1")).isOne();
        assertThat(rows("refund_followup", "o-1")).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aFailureInsideTheHandlerRollsBackTheTransitionTogetherWithTheClaim(TestDatabase database) {
        start(database);
        PaymentSchema.placeOrder(jdbc, "o-1", OrderStatus.PENDING_PAYMENT, 500, "EUR");
        PaymentSchema.placeOrder(jdbc, "o-other", OrderStatus.PAID, 500, "EUR");
        // A payment row already holds tx-1: the handler's INSERT fails after its UPDATE moved the order to PAID.
        jdbc.update("INSERT INTO payment (provider_tx_id, order_id, amount_minor, currency, recorded_at) "
                + "VALUES ('tx-1', 'o-other', 500, 'EUR', CURRENT_TIMESTAMP)");

        assertThatThrownBy(() -> process("o-1", "tx-1", CallbackType.SUCCESS, 500, "EUR"))
                .isInstanceOf(RecordProcessingException.class);

        assertThat(status("o-1")).as("the UPDATE rolled back with the failed INSERT").isEqualTo(OrderStatus.PENDING_PAYMENT);
        assertThat(version("o-1")).isZero();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM dedup_record", Integer.class))
                .as("the claim rolled back too, so the redelivery is processed").isZero();

        jdbc.update("DELETE FROM payment WHERE order_id = 'o-other'");
        assertThat(process("o-1", "tx-1", CallbackType.SUCCESS, 500, "EUR").outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(status("o-1")).isEqualTo(OrderStatus.PAID);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void concurrentDeliveriesOfOneSuccessPayOnce(TestDatabase database) throws Exception {
        start(database);
        PaymentSchema.placeOrder(jdbc, "o-1", OrderStatus.PENDING_PAYMENT, 500, "EUR");
        int threads = 6;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<DedupResult>> results = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                long at = i;
                results.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return dedup.process(PaymentSchema.record("o-1", PaymentSchema.body("tx-1", "o-1",
                            CallbackType.SUCCESS, 500, "EUR", "n-" + at), at), handler);
                }));
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<DedupResult> result : results) {
                outcomes.add(result.get(30, TimeUnit.SECONDS).outcome());
            }
            assertThat(outcomes).containsOnlyOnce(Outcome.PROCESSED).containsOnly(Outcome.PROCESSED, Outcome.DUPLICATE);
        } finally {
            pool.shutdownNow();
        }
        assertThat(status("o-1")).isEqualTo(OrderStatus.PAID);
        assertThat(version("o-1")).isOne();
        assertThat(rows("payment", "o-1")).isOne();
        assertThat(rows("refund_followup", "o-1")).isZero();
    }

    private DedupResult process(String order, String tx, CallbackType type, long amount, String currency) {
        return process(order, tx, type, amount, currency, "n-" + offset);
    }

    private DedupResult process(String order, String tx, CallbackType type, long amount, String currency, String notify) {
        return dedup.process(PaymentSchema.record(order, PaymentSchema.body(tx, order, type, amount, currency, notify),
                offset++), handler);
    }

    private OrderStatus status(String order) {
        return OrderStatus.valueOf(jdbc.queryForObject("SELECT status FROM orders WHERE id = ?", String.class, order));
    }

    private long version(String order) {
        return jdbc.queryForObject("SELECT version FROM orders WHERE id = ?", Long.class, order);
    }

    private int rows(String table, String order) {
        String sql = table.equals("orders_by_id") ? "SELECT COUNT(*) FROM orders WHERE id = ?"
                : "SELECT COUNT(*) FROM " + table + " WHERE order_id = ?";
        return jdbc.queryForObject(sql, Integer.class, order);
    }
}
