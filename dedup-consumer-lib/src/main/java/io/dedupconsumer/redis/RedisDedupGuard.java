package io.dedupconsumer.redis;

import io.dedupconsumer.core.DedupGuard;
import io.dedupconsumer.core.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.PipelineBase;
import redis.clients.jedis.UnifiedJedis;

/**
 * A {@link DedupGuard} on Redis: one {@code MGET} per record or batch before the database, one pipelined
 * {@code SET ... EX} after the commit. It is an optimisation for hot duplicates, never the source of truth:
 * <ul>
 *   <li>a key is written only after its transaction committed, so a rolled-back claim is never remembered;</li>
 *   <li>any Redis error, timeout or missing entry is a miss: the record goes to the database, which decides;</li>
 *   <li>after an error it leaves Redis alone for {@code retryAfter}, so an outage does not add a timeout to every record.</li>
 * </ul>
 * Configure the client's socket timeout short (tens of milliseconds): a slow guard is worse than none. The TTL must be
 * shorter than the dedup table's retention window. Needs {@code redis.clients:jedis} on the class path.
 */
public final class RedisDedupGuard implements DedupGuard {

    private static final Logger log = LoggerFactory.getLogger(RedisDedupGuard.class);
    private static final HexFormat HEX = HexFormat.of();

    private final UnifiedJedis redis;
    private final String keyPrefix;
    private final long ttlSeconds;
    private final long retryAfterNanos;
    private final Counter errors;
    private volatile long closedUntil;

    private RedisDedupGuard(Builder b) {
        this.redis = b.redis;
        this.keyPrefix = b.keyPrefix;
        this.ttlSeconds = b.ttl.toSeconds();
        this.retryAfterNanos = b.retryAfter.toNanos();
        this.errors = Counter.builder("dedup.guard.errors")
                .description("Redis guard calls that failed and fell back to the database")
                .register(b.meterRegistry);
        this.closedUntil = System.nanoTime();
    }

    /** A builder; {@code redis} (a configured client, e.g. {@code JedisPooled}) and {@code ttl} are required. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Map<String, Remembered> recall(String consumerName, Collection<String> dedupKeys) {
        if (dedupKeys.isEmpty() || resting()) {
            return Map.of();
        }
        String[] keys = new String[dedupKeys.size()];
        int i = 0;
        for (String key : dedupKeys) {
            keys[i++] = redisKey(consumerName, key);
        }
        try {
            List<String> values = redis.mget(keys);
            Map<String, Remembered> known = new HashMap<>();
            i = 0;
            for (String key : dedupKeys) {
                Remembered remembered = decode(values.get(i++));
                if (remembered != null) {
                    known.put(key, remembered);
                }
            }
            return known;
        } catch (RuntimeException e) {
            failed("recall", e);
            return Map.of();
        }
    }

    @Override
    public void remember(String consumerName, Map<String, Remembered> entries) {
        if (entries.isEmpty() || resting()) {
            return;
        }
        try (PipelineBase pipeline = redis.pipelined()) {
            for (Map.Entry<String, Remembered> entry : entries.entrySet()) {
                pipeline.setex(redisKey(consumerName, entry.getKey()), ttlSeconds, encode(entry.getValue()));
            }
            pipeline.sync();
        } catch (RuntimeException e) {
            failed("remember", e);
        }
    }

    private String redisKey(String consumerName, String dedupKey) {
        return keyPrefix + consumerName + ':' + dedupKey;
    }

    private static String encode(Remembered remembered) {
        return remembered.outcome().name() + ':' + HEX.formatHex(remembered.fingerprint());
    }

    private static Remembered decode(String value) {
        if (value == null) {
            return null;
        }
        int colon = value.indexOf(':');
        try {
            return new Remembered(HEX.parseHex(value, colon + 1, value.length()), Outcome.valueOf(value.substring(0, colon)));
        } catch (RuntimeException unreadable) {
            return null; // not ours, or from an incompatible version: the database decides
        }
    }

    private boolean resting() {
        return System.nanoTime() - closedUntil < 0;
    }

    private void failed(String call, RuntimeException e) {
        errors.increment();
        boolean wasUp = !resting();
        closedUntil = System.nanoTime() + retryAfterNanos;
        if (wasUp) {
            log.warn("Redis guard {} failed ({}); the database decides alone for the next {} ms", call, e.toString(),
                    TimeUnit.NANOSECONDS.toMillis(retryAfterNanos));
        }
    }

    /** Configures a {@link RedisDedupGuard}; setters check their values at once, naming the setting. */
    public static final class Builder {
        private UnifiedJedis redis;
        private Duration ttl;
        private String keyPrefix = "dedup:";
        private Duration retryAfter = Duration.ofSeconds(1);
        private MeterRegistry meterRegistry = Metrics.globalRegistry;

        private Builder() {
        }

        /** Required. The client, configured by you (address, TLS, credentials, a short socket timeout). */
        public Builder redis(UnifiedJedis redis) {
            this.redis = Objects.requireNonNull(redis, "redis");
            return this;
        }

        /** Required. How long a key is remembered; must be shorter than the dedup table's retention window. */
        public Builder ttl(Duration ttl) {
            if (ttl == null || ttl.toSeconds() < 1) {
                throw new IllegalArgumentException("ttl: " + ttl + " is too short; use at least one second, and less "
                        + "than the dedup table's retention window");
            }
            this.ttl = ttl;
            return this;
        }

        /** Prefix of every Redis key; defaults to {@code dedup:}. */
        public Builder keyPrefix(String keyPrefix) {
            this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix");
            return this;
        }

        /** How long to leave Redis alone after an error; defaults to one second. */
        public Builder retryAfter(Duration retryAfter) {
            if (retryAfter == null || retryAfter.isNegative()) {
                throw new IllegalArgumentException("retryAfter: " + retryAfter + " must be zero or positive");
            }
            this.retryAfter = retryAfter;
            return this;
        }

        /** Where {@code dedup.guard.errors} goes; defaults to Micrometer's global registry. */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
            return this;
        }

        /** Builds the guard; {@code redis} and {@code ttl} must be set. */
        public RedisDedupGuard build() {
            if (redis == null) {
                throw new IllegalStateException("redis: required; pass a configured client, e.g. new JedisPooled(...)");
            }
            if (ttl == null) {
                throw new IllegalStateException("ttl: required; shorter than the dedup table's retention window");
            }
            return new RedisDedupGuard(this);
        }
    }
}
