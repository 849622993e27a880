package io.dedupconsumer.lab;

import io.dedupconsumer.lab.Ledger.EffectIndex;
import java.time.Duration;
import java.util.List;
import redis.clients.jedis.JedisPooled;

/** The strategies the lab knows, by name, in the order the result table lists them. */
final class StrategyCatalog {

    static final List<String> NAMES = List.of(
            "select-then-insert",
            "select-then-insert+unique-index",
            "redis-token",
            "redis-lock-release-before-commit",
            "redis-lock-release-after-commit",
            "optimistic-version",
            "pessimistic-for-update",
            "unique-index",
            "state-machine",
            "md5-cache-only",
            "md5-cache+unique-index");

    /** Retry bound of the optimistic lock; one retry always suffices here, the rest is headroom. */
    private static final int OPTIMISTIC_MAX_ATTEMPTS = 5;

    private final RedisLock lock;
    private final JedisPooled redis;
    private final RedisNamespace namespace;

    StrategyCatalog(JedisPooled redis, RedisNamespace namespace) {
        this.redis = redis;
        this.namespace = namespace;
        // Lease and wait far beyond any round, so neither expiry nor giving up decides a result; polling every
        // millisecond lets a waiter take the lock within about a millisecond of its release.
        this.lock = new RedisLock(redis, Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofMillis(1));
    }

    /** A fresh strategy of the given name whose transactions pause for {@code window} before committing. */
    Strategy create(String name, RaceWindow window) {
        return switch (name) {
            case "select-then-insert" -> new SelectThenInsert(EffectIndex.PLAIN, window);
            case "select-then-insert+unique-index" -> new SelectThenInsert(EffectIndex.UNIQUE, window);
            case "redis-token" -> new RedisToken(redis, namespace, window);
            case "redis-lock-release-before-commit" ->
                    new RedisLocked(RedisLocked.Release.BEFORE_COMMIT, lock, namespace, window);
            case "redis-lock-release-after-commit" ->
                    new RedisLocked(RedisLocked.Release.AFTER_COMMIT, lock, namespace, window);
            case "optimistic-version" -> new OptimisticVersion(OPTIMISTIC_MAX_ATTEMPTS, window);
            case "pessimistic-for-update" -> new PessimisticForUpdate(window);
            case "unique-index" -> new UniqueIndex(window);
            case "state-machine" -> new StateMachine(window);
            case "md5-cache-only" -> new Md5Cache(EffectIndex.PLAIN, redis, namespace, window);
            case "md5-cache+unique-index" -> new Md5Cache(EffectIndex.UNIQUE, redis, namespace, window);
            default -> throw new IllegalArgumentException("unknown strategy '" + name + "', known: " + NAMES);
        };
    }
}
