package io.dedupconsumer.lab;

import io.dedupconsumer.lab.Ledger.EffectIndex;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Optimistic locking with a version column and a bounded retry: read balance and version, check the event, then
 * {@code UPDATE ... WHERE version = ?}. A delivery that raced another one updates zero rows (it blocks on the
 * winner's row lock and then finds the version moved), rolls back and starts again in a fresh transaction, whose
 * new snapshot now shows the winner's effect.
 *
 * <p>It holds only because every writer of the account bumps the version in the same transaction as the effect;
 * the version is monotonic, so the ABA problem of comparing a value that can come back (the balance itself) does
 * not arise. Each retry must be a new transaction: under REPEATABLE READ a retry inside the old one would re-read
 * the stale snapshot and lose again until the bound is hit.
 */
final class OptimisticVersion implements Strategy {

    private static final Logger log = LoggerFactory.getLogger(OptimisticVersion.class);

    /** MariaDB's "record has changed since last read", raised instead of a 0-row update under innodb_snapshot_isolation (default ON from 11.6). */
    private static final int ER_CHECKREAD = 1020;

    private final int maxAttempts;
    private final RaceWindow window;

    OptimisticVersion(int maxAttempts, RaceWindow window) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
        }
        this.maxAttempts = maxAttempts;
        this.window = window;
    }

    @Override
    public String name() {
        return "optimistic-version";
    }

    @Override
    public void prepare(Connection c) throws SQLException {
        Ledger.create(c, EffectIndex.PLAIN);
    }

    @Override
    public Outcome deliver(Connection c, Event e) throws SQLException {
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            Versioned read = read(c, e.accountId());
            if (Ledger.alreadyApplied(c, e.id())) {
                c.rollback();
                return Outcome.SKIPPED;
            }
            if (!compareAndSet(c, e, read)) {
                log.debug("{}: version {} moved under attempt {}, retrying in a new transaction", e.id(),
                        read.version(), attempt);
                c.rollback();
                continue;
            }
            Ledger.logEffect(c, e);
            window.pause();
            c.commit();
            return Outcome.APPLIED;
        }
        return Outcome.RETRIES_EXHAUSTED;
    }

    private static Versioned read(Connection c, long accountId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT balance, version FROM account WHERE id = ?")) {
            ps.setLong(1, accountId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("account " + accountId + " does not exist");
                }
                return new Versioned(rs.getLong(1), rs.getLong(2));
            }
        }
    }

    private static boolean compareAndSet(Connection c, Event e, Versioned read) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE account SET balance = ?, version = ? WHERE id = ? AND version = ?")) {
            ps.setLong(1, read.balance() - e.amount());
            ps.setLong(2, read.version() + 1);
            ps.setLong(3, e.accountId());
            ps.setLong(4, read.version());
            return ps.executeUpdate() == 1;
        } catch (SQLException conflict) {
            if (conflict.getErrorCode() == ER_CHECKREAD) {
                return false;
            }
            throw conflict;
        }
    }

    private record Versioned(long balance, long version) {
    }
}
