package io.dedupconsumer.lab;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.SetParams;

/**
 * A single-instance Redis lock: {@code SET key token NX PX ttl} to take it, polling until a wait limit, and a
 * compare-and-delete script to release it, so a holder whose lease expired cannot delete its successor's lock.
 * Waiting (rather than giving up at the first refusal) is what lock libraries do, and what lets a delivery that
 * arrived during someone else's transaction run its own check once the lock is free.
 */
final class RedisLock {

    private static final String RELEASE_IF_OWNER =
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

    private final JedisPooled redis;
    private final Duration leaseTime;
    private final Duration maxWait;
    private final Duration retryEvery;

    RedisLock(JedisPooled redis, Duration leaseTime, Duration maxWait, Duration retryEvery) {
        this.redis = redis;
        this.leaseTime = leaseTime;
        this.maxWait = maxWait;
        this.retryEvery = retryEvery;
    }

    /** Takes the lock, waiting up to the wait limit; empty if another holder kept it all that time. */
    Optional<Lease> acquire(String key) {
        String token = UUID.randomUUID().toString();
        SetParams nxWithTtl = SetParams.setParams().nx().px(leaseTime.toMillis());
        long deadline = System.nanoTime() + maxWait.toNanos();
        while (true) {
            if ("OK".equals(redis.set(key, token, nxWithTtl))) {
                return Optional.of(new Lease(key, token));
            }
            if (System.nanoTime() - deadline >= 0) {
                return Optional.empty();
            }
            LockSupport.parkNanos(retryEvery.toNanos());
        }
    }

    /** One holding of the lock; released at most once, and only while it is still this holder's. */
    final class Lease {

        private final String key;
        private final String token;
        private boolean released;

        private Lease(String key, String token) {
            this.key = key;
            this.token = token;
        }

        void release() {
            if (!released) {
                released = true;
                redis.eval(RELEASE_IF_OWNER, List.of(key), List.of(token));
            }
        }
    }
}
