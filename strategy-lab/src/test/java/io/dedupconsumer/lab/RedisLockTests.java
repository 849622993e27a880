package io.dedupconsumer.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;

/** The Redis lock the two lock strategies share, against the real Redis. */
class RedisLockTests {

    private final JedisPooled redis = new JedisPooled(Endpoints.LOCAL.redisHost(), Endpoints.LOCAL.redisPort());
    private final RedisNamespace namespace = new RedisNamespace("dedup-lab:test-" + UUID.randomUUID() + ":");
    private final RedisLock lock = new RedisLock(redis, Duration.ofSeconds(30), Duration.ofMillis(50), Duration.ofMillis(1));

    @AfterEach
    void purge() {
        namespace.purge(redis);
        redis.close();
    }

    @Test
    void aSecondHolderIsRefusedUntilTheFirstReleases() {
        String key = namespace.key("lock");
        RedisLock.Lease first = lock.acquire(key).orElseThrow();

        assertThat(lock.acquire(key)).as("refused after waiting 50 ms").isEmpty();

        first.release();
        assertThat(lock.acquire(key)).isPresent();
    }

    @Test
    void releaseLeavesALockThatPassedToAnotherHolderAlone() {
        String key = namespace.key("lock");
        RedisLock.Lease expired = lock.acquire(key).orElseThrow();
        redis.set(key, "successor-token");

        expired.release();

        assertThat(redis.get(key)).isEqualTo("successor-token");
    }

    @Test
    void purgeRemovesEveryKeyOfTheNamespaceAndNoOther() {
        String outsider = "dedup-lab:outsider-" + UUID.randomUUID();
        redis.setex(outsider, 30, "x");
        Optional<RedisLock.Lease> lease = lock.acquire(namespace.key("lock"));
        redis.setex(namespace.key("token", "e1"), 30, "processed");

        namespace.purge(redis);

        assertThat(lease).isPresent();
        assertThat(redis.exists(namespace.key("lock"))).isFalse();
        assertThat(redis.exists(namespace.key("token", "e1"))).isFalse();
        assertThat(redis.exists(outsider)).isTrue();
        redis.del(outsider);
    }
}
