package io.dedupconsumer.redis;

import io.dedupconsumer.core.DedupGuard;
import io.dedupconsumer.core.Fingerprint;
import io.dedupconsumer.core.InvalidSettingException;
import io.dedupconsumer.core.Outcome;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.UnifiedJedis;

/**
 * A {@link DedupGuard} on Redis: one {@code MGET} per record or batch before the database, one pipelined
 * {@code SET ... EX} after the commit. It answers only what a committed claim of exactly this consumer and key told it
 * (the {@link DedupGuard} contract, which says why that can never lose an event):
 * <ul>
 *   <li>the Redis key is {@code <keyPrefix>} followed by the hex SHA-256 of the consumer name and the dedup key,
 *       length-prefixed and in UTF-16 (lossless for any Java string, lone surrogates included): two different
 *       consumer-and-key pairs never share an entry, whatever characters they hold ({@code a:b} + {@code c} and
 *       {@code a} + {@code b:c} are two entries), and the fixed-length suffix keeps different prefixes apart too;</li>
 *   <li>the value holds the payload's fingerprint and the first outcome; a record with another fingerprint goes to the
 *       database, which decides CONFLICT;</li>
 *   <li>a key is written only after its transaction committed, so a rolled-back claim is never remembered;</li>
 *   <li>any Redis error, timeout or missing entry is a miss: the record goes to the database, which decides;</li>
 *   <li>after an error, and while Redis is slower than {@code slowCallThreshold} (4 of its last 8 calls), it is
 *       bypassed, then probed once per {@code retryAfter} until it answers fast again: an outage or a slow Redis does
 *       not add its latency to every record.</li>
 * </ul>
 * Configure the client's socket timeout short (tens of milliseconds). Needs {@code redis.clients:jedis} on the class
 * path.
 */
public final class RedisDedupGuard implements DedupGuard {

    private static final HexFormat HEX = HexFormat.of();
    private static final Duration DEFAULT_SLOW_CALL = Duration.ofMillis(5);
    private static final Duration MAX_SLOW_CALL = Duration.ofSeconds(10);

    private final UnifiedJedis redis;
    private final String keyPrefix;
    private final long ttlSeconds;
    private final GuardHealth health;

    private RedisDedupGuard(Builder b) {
        this.redis = b.redis;
        this.keyPrefix = b.keyPrefix;
        this.ttlSeconds = b.ttl.toSeconds();
        this.health = new GuardHealth(b.slowCallThreshold, b.retryAfter, b.meterRegistry, b.keyPrefix);
    }

    /** A builder; {@code redis} (a configured client, e.g. {@code JedisPooled}) and {@code ttl} are required. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Map<String, Remembered> recall(String consumerName, Collection<String> dedupKeys) {
        if (dedupKeys.isEmpty() || !health.admit()) {
            return Map.of();
        }
        try {
            String[] keys = new String[dedupKeys.size()];
            int i = 0;
            for (String key : dedupKeys) {
                keys[i++] = redisKey(keyPrefix, consumerName, key);
            }
            long start = System.nanoTime();
            List<String> values = redis.mget(keys);
            health.answered(System.nanoTime() - start);
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
            health.failed("recall", e);
            return Map.of();
        }
    }

    @Override
    public void remember(String consumerName, Map<String, Remembered> entries) {
        if (entries.isEmpty() || !health.admit()) {
            return;
        }
        long start = System.nanoTime();
        try (AbstractPipeline pipeline = redis.pipelined()) {
            for (Map.Entry<String, Remembered> entry : entries.entrySet()) {
                pipeline.setex(redisKey(keyPrefix, consumerName, entry.getKey()), ttlSeconds, encode(entry.getValue()));
            }
            pipeline.sync();
            health.answered(System.nanoTime() - start);
        } catch (RuntimeException e) {
            health.failed("remember", e);
        }
    }

    /**
     * The Redis key of a consumer's dedup key: the prefix, then the hex SHA-256 of the consumer name's length (4
     * bytes) and the name and the key as UTF-16 (2 bytes per char, so no two strings share an encoding).
     */
    static String redisKey(String keyPrefix, String consumerName, String dedupKey) {
        ByteBuffer identity = ByteBuffer.allocate(4 + 2 * (consumerName.length() + dedupKey.length()));
        identity.putInt(consumerName.length());
        identity.asCharBuffer().put(consumerName).put(dedupKey);
        return keyPrefix + HEX.formatHex(Fingerprint.sha256(identity.array()));
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

    /** Configures a {@link RedisDedupGuard}; setters check their values at once, naming the setting. */
    public static final class Builder {
        private UnifiedJedis redis;
        private Duration ttl;
        private String keyPrefix = "dedup:";
        private Duration retryAfter = Duration.ofSeconds(1);
        private Duration slowCallThreshold = DEFAULT_SLOW_CALL;
        private MeterRegistry meterRegistry = Metrics.globalRegistry;

        private Builder() {
        }

        /** Required. The client, configured by you (address, TLS, credentials, a short socket timeout). */
        public Builder redis(UnifiedJedis redis) {
            this.redis = Objects.requireNonNull(redis, "redis");
            return this;
        }

        /**
         * Required. How long a key is remembered. Correctness does not depend on it (an entry only ever says what a
         * committed claim said), but the dedup table's retention window is the natural bound: hot duplicates come
         * soon after the first delivery, and a short TTL keeps Redis small.
         */
        public Builder ttl(Duration ttl) {
            if (ttl == null || ttl.toSeconds() < 1) {
                throw new InvalidSettingException("ttl", ttl, ttl + " is too short; use at least one second (minutes "
                        + "to hours for hot duplicates), at most the dedup table's retention window");
            }
            this.ttl = ttl;
            return this;
        }

        /**
         * Prefix of every Redis key; defaults to {@code dedup:}. Give each dedup table (each database, each
         * environment) sharing one Redis its own prefix: a key of one table must not answer for another.
         */
        public Builder keyPrefix(String keyPrefix) {
            this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix");
            return this;
        }

        /**
         * How long Redis is left alone after an error, or after it was found slow, before one call probes it again;
         * defaults to one second.
         */
        public Builder retryAfter(Duration retryAfter) {
            if (retryAfter == null || retryAfter.isNegative()) {
                throw new InvalidSettingException("retryAfter", retryAfter, retryAfter + " must be zero or positive");
            }
            this.retryAfter = retryAfter;
            return this;
        }

        /**
         * How long a Redis call may take before it counts as slow; defaults to 5 ms.
         * When 4 of the last 8 calls were slow the guard is bypassed (logged at WARN, {@code dedup.guard.bypassed} is
         * 1) until a probe is fast again (logged at INFO): a guard slower than the database costs more than it saves.
         * Set it near your database's claim latency ({@code dedup.transaction}); a batch is one call, so raise it for
         * large batches. Up to 10 s.
         */
        public Builder slowCallThreshold(Duration slowCallThreshold) {
            if (slowCallThreshold == null || slowCallThreshold.isNegative() || slowCallThreshold.isZero()
                    || slowCallThreshold.compareTo(MAX_SLOW_CALL) > 0) {
                throw new InvalidSettingException("slowCallThreshold", slowCallThreshold, slowCallThreshold + " is out of range; use "
                        + "more than zero and at most " + MAX_SLOW_CALL + " (about the database's claim latency, e.g. "
                        + "Duration.ofMillis(5))");
            }
            this.slowCallThreshold = slowCallThreshold;
            return this;
        }

        /** Where the {@code dedup.guard.*} meters go; defaults to Micrometer's global registry. */
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
