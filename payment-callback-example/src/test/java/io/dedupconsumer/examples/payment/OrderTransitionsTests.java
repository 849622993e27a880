package io.dedupconsumer.examples.payment;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.testkit.TestDatabase;
import java.time.Clock;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Every status × every transition of {@link Transition}, on H2, MariaDB and PostgreSQL: a move happens exactly when
 * the order is in the move's source status, and otherwise writes nothing.
 */
class OrderTransitionsTests {

    static Stream<TestDatabase> databases() {
        return Stream.of(TestDatabase.h2(), TestDatabase.mariadb(), TestDatabase.postgresql());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void everyTransitionMovesAnOrderOnlyFromItsSourceStatus(TestDatabase database) {
        try (HikariDataSource dataSource = database.create("payment_transitions")) {
            PaymentSchema.migrate(database, dataSource);
            JdbcTemplate jdbc = new JdbcTemplate(dataSource);
            Orders orders = new Orders(jdbc, Clock.systemUTC());
            SoftAssertions softly = new SoftAssertions();
            for (OrderStatus status : OrderStatus.values()) {
                for (Transition transition : Transition.values()) {
                    String id = status + "-" + transition;
                    PaymentSchema.placeOrder(jdbc, id, status, 1000, "EUR");
                    boolean allowed = transition.from() == status;

                    boolean moved = orders.apply(id, transition);

                    Order after = orders.find(id).orElseThrow();
                    softly.assertThat(moved).as("%s from %s moved", transition, status).isEqualTo(allowed);
                    softly.assertThat(after.status()).as("%s from %s: status", transition, status)
                            .isEqualTo(allowed ? transition.to() : status);
                    softly.assertThat(after.version()).as("%s from %s: version", transition, status)
                            .isEqualTo(allowed ? 1 : 0);
                }
            }
            softly.assertAll();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void aMoveOfAnUnknownOrderWritesNothing(TestDatabase database) {
        try (HikariDataSource dataSource = database.create("payment_transitions")) {
            PaymentSchema.migrate(database, dataSource);
            Orders orders = new Orders(new JdbcTemplate(dataSource), Clock.systemUTC());
            assertThat(orders.apply("no-such-order", Transition.PAY)).isFalse();
            assertThat(orders.find("no-such-order")).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void theDatabaseRefusesAStatusOutsideTheStateMachine(TestDatabase database) {
        try (HikariDataSource dataSource = database.create("payment_transitions")) {
            PaymentSchema.migrate(database, dataSource);
            JdbcTemplate jdbc = new JdbcTemplate(dataSource);
            PaymentSchema.placeOrder(jdbc, "o-1", OrderStatus.PAID, 1000, "EUR");
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> jdbc.update("UPDATE orders SET status = 'PAYED' WHERE id = 'o-1'"))
                    .isInstanceOf(org.springframework.dao.DataIntegrityViolationException.class);
        }
    }
}
