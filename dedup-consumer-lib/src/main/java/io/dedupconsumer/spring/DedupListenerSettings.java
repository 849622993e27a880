package io.dedupconsumer.spring;

import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.InvalidSettingException;
import io.dedupconsumer.jdbc.DedupTable;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.support.ExponentialBackOffWithMaxRetries;
import org.springframework.util.backoff.BackOff;
import org.springframework.util.backoff.ExponentialBackOff;

/**
 * The settings every {@link Deduplicated @Deduplicated} listener of an application shares: where a key comes from
 * when the annotation names no source, the consumer name, the dedup table, what a conflict leads to, how a poll
 * batch is committed, and how a failing record is retried before it is dead-lettered.
 *
 * <p>Declare one as a bean to change them in an application without Spring Boot (see
 * {@link EnableDeduplication @EnableDeduplication}); under Spring Boot the {@code dedup.*} properties build it. Every
 * setter checks its value at once and names the setting in its message, so a bad value stops the application
 * before a listener starts. Immutable and thread-safe.
 */
public final class DedupListenerSettings {

    private static final DedupListenerSettings DEFAULTS = builder().build();

    private final @Nullable String consumerName;
    private final String table;
    private final DedupKey defaultKey;
    private final ConflictPolicy conflictPolicy;
    private final boolean oneTransactionPerBatch;
    private final int maxAttempts;
    private final Duration initialInterval;
    private final double multiplier;
    private final Duration maxInterval;

    private DedupListenerSettings(Builder b) {
        this.consumerName = b.consumerName;
        this.table = b.table;
        this.defaultKey = b.defaultKey;
        this.conflictPolicy = b.conflictPolicy;
        this.oneTransactionPerBatch = b.oneTransactionPerBatch;
        this.maxAttempts = b.maxAttempts;
        this.initialInterval = b.initialInterval;
        this.multiplier = b.multiplier;
        this.maxInterval = b.maxInterval;
    }

    /** The settings used when the application declares none. */
    public static DedupListenerSettings defaults() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The consumer name of listeners whose annotation names none, or {@code null}: each then uses its group id. */
    public @Nullable String consumerName() {
        return consumerName;
    }

    /** The dedup table. */
    public String table() {
        return table;
    }

    /** Where the key comes from when the annotation names no source. */
    public DedupKey defaultKey() {
        return defaultKey;
    }

    /** What a {@code CONFLICT} leads to. */
    public ConflictPolicy conflictPolicy() {
        return conflictPolicy;
    }

    /**
     * Whether a batch listener's poll batch is claimed and committed in one transaction, the method called once with
     * all its newly claimed records (else one transaction and one call per record).
     */
    public boolean oneTransactionPerBatch() {
        return oneTransactionPerBatch;
    }

    /** How often a failing record is tried in all, the first attempt included, before it is dead-lettered. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** The pause between attempts of a failing record: the retry backoff, stopping after {@link #maxAttempts()}. */
    public BackOff retryBackOff() {
        // spring-kafka's class, not ExponentialBackOff.setMaxAttempts: that one changed signature in Spring 7
        ExponentialBackOffWithMaxRetries backOff = new ExponentialBackOffWithMaxRetries(maxAttempts - 1);
        return curve(backOff);
    }

    /** The pause between attempts while the database is unavailable: the same curve, without an end. */
    public ExponentialBackOff outageBackOff() {
        return curve(new ExponentialBackOff());
    }

    private <B extends ExponentialBackOff> B curve(B backOff) {
        backOff.setInitialInterval(initialInterval.toMillis());
        backOff.setMultiplier(multiplier);
        backOff.setMaxInterval(maxInterval.toMillis());
        return backOff;
    }

    /** The retry curve in words, for the start-up log. */
    String describeRetries() {
        return maxAttempts + " attempt(s), backoff " + initialInterval.toMillis() + " ms x" + multiplier + " up to "
                + maxInterval.toMillis() + " ms";
    }

    @Override
    public String toString() {
        return "DedupListenerSettings[consumerName=" + consumerName + ", table=" + table + ", defaultKey="
                + defaultKey + ", conflictPolicy=" + conflictPolicy + ", oneTransactionPerBatch="
                + oneTransactionPerBatch + ", retries=" + describeRetries() + "]";
    }

    /** Configures {@link DedupListenerSettings}; every setter validates its value at once. */
    public static final class Builder {
        private @Nullable String consumerName;
        private String table = DedupTable.DEFAULT_NAME;
        private DedupKey defaultKey = DedupKey.recordKey();
        private ConflictPolicy conflictPolicy = ConflictPolicy.DEAD_LETTER;
        private boolean oneTransactionPerBatch = true;
        private int maxAttempts = 5;
        private Duration initialInterval = Duration.ofSeconds(1);
        private double multiplier = 2.0;
        private Duration maxInterval = Duration.ofSeconds(30);

        private Builder() {
        }

        /**
         * The consumer name of listeners whose annotation names none; unset, each listener uses its group id. Set it
         * when a topic may be replayed under a new group id (with the group id as the name, a replay applies every
         * event again). The rules of {@link Deduplicator.Builder#consumerName(String)} apply.
         */
        public Builder consumerName(@Nullable String consumerName) {
            if (consumerName != null) {
                Deduplicator.builder().consumerName(consumerName); // the one place the rules live
            }
            this.consumerName = consumerName;
            return this;
        }

        /** The dedup table, optionally schema-qualified; defaults to {@value DedupTable#DEFAULT_NAME}. */
        public Builder table(String table) {
            this.table = DedupTable.validName(table);
            return this;
        }

        /** Where the key comes from when the annotation names no source; defaults to {@link DedupKey#recordKey()}. */
        public Builder defaultKey(DedupKey defaultKey) {
            this.defaultKey = Objects.requireNonNull(defaultKey, "defaultKey");
            return this;
        }

        /**
         * The default key as a SpEL expression over the record, as in {@link Deduplicated#key()}.
         *
         * @throws InvalidSettingException when it is not a valid expression
         */
        public Builder defaultKeyExpression(String expression) {
            try {
                return defaultKey(KeyExpression.parse(expression));
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException("defaultKeyExpression", expression, e.getMessage());
            }
        }

        /** What a {@code CONFLICT} leads to; defaults to {@link ConflictPolicy#DEAD_LETTER}. */
        public Builder conflictPolicy(ConflictPolicy conflictPolicy) {
            this.conflictPolicy = Objects.requireNonNull(conflictPolicy, "conflictPolicy");
            return this;
        }

        /** Whether a batch listener's poll is one transaction (the default, the fast path) or one per record. */
        public Builder oneTransactionPerBatch(boolean oneTransactionPerBatch) {
            this.oneTransactionPerBatch = oneTransactionPerBatch;
            return this;
        }

        /** Attempts of a failing record in all before it is dead-lettered; 1 to 100, defaults to 5. */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1 || maxAttempts > 100) {
                throw new InvalidSettingException("maxAttempts", maxAttempts, maxAttempts + " is out of range; use 1 (no retry) to 100");
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * The retry backoff: the first pause, its growth per attempt and its ceiling; defaults to 1 s, 2.0, 30 s. The
         * same curve paces attempts during a database outage, without an end.
         *
         * @throws InvalidSettingException when a pause is not positive, the ceiling is below the first pause, or the
         *     multiplier is outside 1 to 100
         */
        public Builder retryBackoff(Duration initialInterval, double multiplier, Duration maxInterval) {
            requirePositive("initialInterval", initialInterval);
            requirePositive("maxInterval", maxInterval);
            if (maxInterval.compareTo(initialInterval) < 0) {
                throw new InvalidSettingException("maxInterval", maxInterval, maxInterval + " must not be shorter than initialInterval ("
                        + initialInterval + ")");
            }
            if (!(multiplier >= 1.0 && multiplier <= 100.0)) {
                throw new InvalidSettingException("multiplier", multiplier, multiplier + " is out of range; use 1 to 100");
            }
            this.initialInterval = initialInterval;
            this.multiplier = multiplier;
            this.maxInterval = maxInterval;
            return this;
        }

        private static void requirePositive(String name, @Nullable Duration value) {
            if (value == null || value.isNegative() || value.isZero() || value.compareTo(Duration.ofHours(1)) > 0) {
                throw new InvalidSettingException(name, value, value + " is out of range; use more than 0 and at most 1h");
            }
        }

        /** The settings. */
        public DedupListenerSettings build() {
            return new DedupListenerSettings(this);
        }
    }
}
