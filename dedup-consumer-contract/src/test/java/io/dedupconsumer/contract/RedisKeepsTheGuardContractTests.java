package io.dedupconsumer.contract;

import io.dedupconsumer.core.DedupGuard;
import io.dedupconsumer.redis.RedisDedupGuard;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import redis.clients.jedis.JedisPooled;

/** The {@link DedupGuardContract} on {@code RedisDedupGuard} against the real Redis (127.0.0.1:6379 by default). */
class RedisKeepsTheGuardContractTests extends DedupGuardContract {

    private static final JedisPooled REDIS = new JedisPooled(
            System.getenv().getOrDefault("DEDUP_TEST_REDIS_HOST", "127.0.0.1"),
            Integer.parseInt(System.getenv().getOrDefault("DEDUP_TEST_REDIS_PORT", "6379")));

    // A generous slow-call threshold: a loaded CI machine must not switch the guard off mid-contract.
    private static final DedupGuard GUARD = RedisDedupGuard.builder().redis(REDIS).keyPrefix("dedup-contract:")
            .ttl(Duration.ofMinutes(10)).slowCallThreshold(Duration.ofSeconds(2)).build();

    @Override
    protected DedupGuard guard() {
        return GUARD;
    }

    @AfterAll
    static void close() {
        REDIS.close();
    }
}
