package io.dedupconsumer.lab;

import io.dedupconsumer.lab.Ledger.EffectIndex;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/**
 * "Lock, check, then update" with a Redis lock per event around a check of the effect log, in two variants that
 * differ only in when the lock is released. Released after the commit, the next holder's check sees the effect.
 * Released before the commit, the next holder can take the lock while the effect is still uncommitted, its check
 * finds nothing, and the event is applied again: the distributed lock must wrap the transaction, not sit inside it.
 */
final class RedisLocked implements Strategy {

    /** When the lock is given back relative to the commit. */
    enum Release {
        BEFORE_COMMIT("redis-lock-release-before-commit"),
        AFTER_COMMIT("redis-lock-release-after-commit");

        private final String strategyName;

        Release(String strategyName) {
            this.strategyName = strategyName;
        }
    }

    private final Release release;
    private final RedisLock lock;
    private final RedisNamespace namespace;
    private final RaceWindow window;

    RedisLocked(Release release, RedisLock lock, RedisNamespace namespace, RaceWindow window) {
        this.release = release;
        this.lock = lock;
        this.namespace = namespace;
        this.window = window;
    }

    @Override
    public String name() {
        return release.strategyName;
    }

    @Override
    public void prepare(Connection c) throws SQLException {
        Ledger.create(c, EffectIndex.PLAIN);
    }

    @Override
    public Outcome deliver(Connection c, Event e) throws SQLException {
        Optional<RedisLock.Lease> acquired = lock.acquire(namespace.key(name(), "lock", e.id()));
        if (acquired.isEmpty()) {
            c.rollback();
            return Outcome.LOCK_NOT_ACQUIRED;
        }
        RedisLock.Lease lease = acquired.get();
        try {
            if (Ledger.alreadyApplied(c, e.id())) {
                c.rollback();
                return Outcome.SKIPPED;
            }
            Ledger.apply(c, e);
            if (release == Release.BEFORE_COMMIT) {
                lease.release();
            }
            window.pause();
            c.commit();
            return Outcome.APPLIED;
        } finally {
            lease.release();
        }
    }
}
