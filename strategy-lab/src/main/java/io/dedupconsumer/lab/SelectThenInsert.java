package io.dedupconsumer.lab;

import io.dedupconsumer.lab.Ledger.EffectIndex;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * "Look, and insert if it is not there": a plain {@code SELECT} for the event, then the effect. Two deliveries
 * that both look before either commits both find nothing. Without a unique index both apply; behind one, the
 * second insert blocks on the first's uncommitted key and then fails with 1062 (the REPEATABLE READ race the notes
 * describe), so the index, not the select, is what holds.
 */
final class SelectThenInsert implements Strategy {

    private final EffectIndex index;
    private final RaceWindow window;

    SelectThenInsert(EffectIndex index, RaceWindow window) {
        this.index = index;
        this.window = window;
    }

    @Override
    public String name() {
        return index == EffectIndex.UNIQUE ? "select-then-insert+unique-index" : "select-then-insert";
    }

    @Override
    public void prepare(Connection c) throws SQLException {
        Ledger.create(c, index);
    }

    @Override
    public Outcome deliver(Connection c, Event e) throws SQLException {
        if (Ledger.alreadyApplied(c, e.id())) {
            c.rollback();
            return Outcome.SKIPPED;
        }
        Ledger.apply(c, e);
        window.pause();
        c.commit();
        return Outcome.APPLIED;
    }
}
