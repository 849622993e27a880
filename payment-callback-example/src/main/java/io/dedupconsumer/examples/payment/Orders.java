package io.dedupconsumer.examples.payment;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;

/**
 * The {@code orders} table. Status changes go through {@link #apply(String, Transition)} only: one conditional
 * {@code UPDATE} per move. Uses a {@link JdbcTemplate}, so inside the dedup transaction it writes on the claim's
 * connection and commits or rolls back with it.
 */
final class Orders {

    private static final String MOVE =
            "UPDATE orders SET status = ?, version = version + 1 WHERE id = ? AND status = ?";
    private static final RowMapper<Order> ORDER = (rs, row) -> new Order(rs.getString("id"),
            OrderStatus.valueOf(rs.getString("status")), rs.getLong("amount_minor"), rs.getString("currency"),
            rs.getLong("version"));

    private final JdbcTemplate jdbc;
    private final Clock clock;

    Orders(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Places an order in {@link OrderStatus#CREATED}. */
    void create(String id, long amountMinor, String currency) {
        jdbc.update("INSERT INTO orders (id, status, amount_minor, currency, version, created_at) VALUES (?, ?, ?, ?, 0, ?)",
                id, OrderStatus.CREATED.name(), amountMinor, currency, Timestamp.from(clock.instant()));
    }

    /**
     * Moves the order if, at this instant, it is in the transition's source status.
     *
     * @return whether it moved; {@code false} when it is in any other status (or does not exist), and then nothing
     *     was written
     */
    boolean apply(String orderId, Transition transition) {
        return jdbc.update(MOVE, transition.to().name(), orderId, transition.from().name()) == 1;
    }

    Optional<Order> find(String orderId) {
        return jdbc.query("SELECT id, status, amount_minor, currency, version FROM orders WHERE id = ?", ORDER, orderId)
                .stream().findFirst();
    }

    /** Every order whose id starts with {@code prefix} (letters, digits, '-'), by id. */
    List<Order> withPrefix(String prefix) {
        if (!prefix.matches("[A-Za-z0-9-]*")) {
            throw new IllegalArgumentException("prefix: '" + prefix + "' may hold letters, digits and '-' only");
        }
        return jdbc.query("SELECT id, status, amount_minor, currency, version FROM orders WHERE id LIKE ? ORDER BY id",
                ORDER, prefix + "%");
    }
}
