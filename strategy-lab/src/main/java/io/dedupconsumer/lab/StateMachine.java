package io.dedupconsumer.lab;

import io.dedupconsumer.lab.Ledger.EffectIndex;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A payment callback moving an order from {@code PENDING_PAYMENT} to {@code PAID} with a conditional update, and
 * charging only if the transition happened. The {@code WHERE status = ?} is evaluated on the current row under
 * its lock, so of several simultaneous callbacks exactly one sees the old state; the others update zero rows,
 * a business outcome ("already paid"), not an error.
 */
final class StateMachine implements Strategy {

    private final RaceWindow window;

    StateMachine(RaceWindow window) {
        this.window = window;
    }

    @Override
    public String name() {
        return "state-machine";
    }

    @Override
    public void prepare(Connection c) throws SQLException {
        Ledger.create(c, EffectIndex.PLAIN);
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS orders");
            s.execute("""
                    CREATE TABLE orders (
                      id     VARCHAR(64) PRIMARY KEY,
                      status VARCHAR(32) NOT NULL,
                      amount BIGINT NOT NULL
                    ) ENGINE=InnoDB""");
        }
    }

    /** The order exists, unpaid, before its payment callbacks arrive. */
    @Override
    public void open(Connection c, Event e) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO orders (id, status, amount) VALUES (?, 'PENDING_PAYMENT', ?)")) {
            ps.setString(1, e.id());
            ps.setLong(2, e.amount());
            ps.executeUpdate();
        }
    }

    @Override
    public Outcome deliver(Connection c, Event e) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE orders SET status = 'PAID' WHERE id = ? AND status = 'PENDING_PAYMENT'")) {
            ps.setString(1, e.id());
            if (ps.executeUpdate() == 0) {
                c.rollback();
                return Outcome.SKIPPED;
            }
        }
        Ledger.apply(c, e);
        window.pause();
        c.commit();
        return Outcome.APPLIED;
    }
}
