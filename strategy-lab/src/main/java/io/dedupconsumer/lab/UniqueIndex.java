package io.dedupconsumer.lab;

import io.dedupconsumer.lab.Ledger.EffectIndex;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The project's protocol: claim the event by inserting it under a unique index, in the same transaction as the
 * effect. A concurrent second claim blocks on the first's uncommitted key, then fails with 1062 once the first
 * commits (or succeeds if the first rolled back, which is exactly right). No check, no lock, no cache.
 */
final class UniqueIndex implements Strategy {

    private final RaceWindow window;

    UniqueIndex(RaceWindow window) {
        this.window = window;
    }

    @Override
    public String name() {
        return "unique-index";
    }

    @Override
    public void prepare(Connection c) throws SQLException {
        Ledger.create(c, EffectIndex.UNIQUE);
    }

    @Override
    public Outcome deliver(Connection c, Event e) throws SQLException {
        Ledger.apply(c, e);
        window.pause();
        c.commit();
        return Outcome.APPLIED;
    }
}
