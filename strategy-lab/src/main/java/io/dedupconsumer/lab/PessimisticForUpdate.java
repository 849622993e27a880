package io.dedupconsumer.lab;

import io.dedupconsumer.lab.Ledger.EffectIndex;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * "Lock, check, then update" with the database's own lock: {@code SELECT ... FOR UPDATE} on the account row, then
 * look for the event, then debit the balance it read. Deliveries queue on the row lock, so each one checks only
 * after the previous holder committed.
 *
 * <p>The check must come after the lock, and must not see an older snapshot: under REPEATABLE READ InnoDB fixes a
 * transaction's snapshot at its first plain read, which here is the check, made after the lock was granted. A plain
 * read before the {@code FOR UPDATE} would freeze a snapshot from before the previous holder committed, and the
 * check would miss its effect.
 */
final class PessimisticForUpdate implements Strategy {

    private final RaceWindow window;

    PessimisticForUpdate(RaceWindow window) {
        this.window = window;
    }

    @Override
    public String name() {
        return "pessimistic-for-update";
    }

    @Override
    public void prepare(Connection c) throws SQLException {
        Ledger.create(c, EffectIndex.PLAIN);
    }

    @Override
    public Outcome deliver(Connection c, Event e) throws SQLException {
        long balance = lockBalance(c, e.accountId());
        if (Ledger.alreadyApplied(c, e.id())) {
            c.rollback();
            return Outcome.SKIPPED;
        }
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE account SET balance = ?, version = version + 1 WHERE id = ?")) {
            ps.setLong(1, balance - e.amount());
            ps.setLong(2, e.accountId());
            Ledger.expectOneRow(ps.executeUpdate(), e);
        }
        Ledger.logEffect(c, e);
        window.pause();
        c.commit();
        return Outcome.APPLIED;
    }

    private static long lockBalance(Connection c, long accountId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT balance FROM account WHERE id = ? FOR UPDATE")) {
            ps.setLong(1, accountId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("account " + accountId + " does not exist");
                }
                return rs.getLong(1);
            }
        }
    }
}
