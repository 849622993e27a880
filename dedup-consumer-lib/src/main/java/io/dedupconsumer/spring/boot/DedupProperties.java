package io.dedupconsumer.spring.boot;

import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.InvalidSettingException;
import io.dedupconsumer.jdbc.DedupRetention;
import io.dedupconsumer.jdbc.DedupTable;
import io.dedupconsumer.kafka.RetentionGuard;
import io.dedupconsumer.spring.DedupListenerSettings;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.StringUtils;

/**
 * The {@code dedup.*} settings. Every value is checked when the application starts; a bad one stops it with a
 * message naming the property.
 */
@ConfigurationProperties("dedup")
public final class DedupProperties implements InitializingBean {

    /** Whether dedup-consumer configures itself; false is refused at start-up while @Deduplicated listeners exist. */
    private boolean enabled = true;

    /** The dedup table, optionally schema-qualified. */
    private String table = DedupTable.DEFAULT_NAME;

    /**
     * The consumer name that scopes the dedup keys, of the DedupTemplate bean and of deduplicated listeners whose
     * annotation names none; unset, they use spring.kafka.consumer.group-id and their own group id. Set it when a
     * topic may be replayed under a new group id.
     */
    private @Nullable String consumerName;

    /** What a CONFLICT (a processed key arriving with another payload) leads to. */
    private ConflictPolicy conflictPolicy = ConflictPolicy.DEAD_LETTER;

    /**
     * How long a claimed key is kept; must exceed how long a record can be redelivered (the topic's retention.ms plus
     * segment.ms, plus any replay window). 14d covers Kafka's defaults (7d + 7d).
     */
    private Duration retention = Duration.ofDays(14);

    /**
     * What happens at start-up when dedup.retention is shorter than the retention of a topic a deduplicated listener
     * reads: fail (refuse to start), warn, or off.
     */
    private RetentionCheck retentionCheck = RetentionCheck.WARN;

    /** What a start-up check of dedup.retention against the listened topics' retention does. */
    public enum RetentionCheck {
        /** Refuse to start. */
        FAIL,
        /** Log a warning. */
        WARN,
        /** Do not check. */
        OFF
    }

    /**
     * The builders' names of the settings these properties feed ({@link InvalidSettingException#setting()}), for the
     * builders that refuse with one: the listener settings, the deduplicator's, the retention guard's.
     */
    private static final Map<String, String> PROPERTIES = Map.ofEntries(
            Map.entry("consumerName", "dedup.consumer-name"),
            Map.entry("defaultKeyExpression", "dedup.key.expression"),
            Map.entry("maxAttempts", "dedup.retry.max-attempts"),
            Map.entry("initialInterval", "dedup.retry.initial-interval"),
            Map.entry("multiplier", "dedup.retry.multiplier"),
            Map.entry("maxInterval", "dedup.retry.max-interval"),
            Map.entry("window", "dedup.retention"));

    private final Key key = new Key();
    private final Batch batch = new Batch();
    private final Retry retry = new Retry();
    private final Schema schema = new Schema();
    private final Purge purge = new Purge();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getTable() {
        return table;
    }

    public void setTable(String table) {
        this.table = table;
    }

    public @Nullable String getConsumerName() {
        return consumerName;
    }

    public void setConsumerName(@Nullable String consumerName) {
        this.consumerName = consumerName;
    }

    public ConflictPolicy getConflictPolicy() {
        return conflictPolicy;
    }

    public void setConflictPolicy(ConflictPolicy conflictPolicy) {
        this.conflictPolicy = conflictPolicy;
    }

    public Duration getRetention() {
        return retention;
    }

    public void setRetention(Duration retention) {
        this.retention = retention;
    }

    public RetentionCheck getRetentionCheck() {
        return retentionCheck;
    }

    public void setRetentionCheck(RetentionCheck retentionCheck) {
        this.retentionCheck = retentionCheck;
    }

    public Purge getPurge() {
        return purge;
    }

    public Key getKey() {
        return key;
    }

    public Batch getBatch() {
        return batch;
    }

    public Retry getRetry() {
        return retry;
    }

    public Schema getSchema() {
        return schema;
    }

    /** The scheduled purge of keys older than dedup.retention. */
    public static final class Purge {
        /** Whether keys older than dedup.retention are deleted on a schedule. */
        private boolean enabled = true;
        /** Time between two purge runs (the first runs at start-up). */
        private Duration interval = Duration.ofHours(1);
        /** Rows deleted per statement, each in its own short transaction. */
        private int batchSize = 1_000;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public Duration getInterval() {
            return interval;
        }

        public void setInterval(Duration interval) {
            this.interval = interval;
        }

        public int getBatchSize() {
            return batchSize;
        }

        public void setBatchSize(int batchSize) {
            this.batchSize = batchSize;
        }
    }

    /** Where the dedup key comes from when a listener does not say; at most one may be set, none means the record key. */
    public static final class Key {
        /** A header holding the dedup key, e.g. event-id. */
        private @Nullable String header;
        /** A scalar field of a JSON payload holding the dedup key: a field name or a JSON Pointer (/payment/txId). */
        private @Nullable String jsonField;
        /** A SpEL expression over key, payload, headers, topic, partition, offset and record. */
        private @Nullable String expression;

        public @Nullable String getHeader() {
            return header;
        }

        public void setHeader(@Nullable String header) {
            this.header = header;
        }

        public @Nullable String getJsonField() {
            return jsonField;
        }

        public void setJsonField(@Nullable String jsonField) {
            this.jsonField = jsonField;
        }

        public @Nullable String getExpression() {
            return expression;
        }

        public void setExpression(@Nullable String expression) {
            this.expression = expression;
        }
    }

    /** How batch listeners are processed. */
    public static final class Batch {
        /**
         * One transaction per poll batch, the listener method called once with all its newly claimed records (claims
         * in a few statements, the method's writes in one JDBC batch: the throughput path); false for one transaction
         * and one call per record (shorter lock hold times).
         */
        private boolean oneTransaction = true;

        public boolean isOneTransaction() {
            return oneTransaction;
        }

        public void setOneTransaction(boolean oneTransaction) {
            this.oneTransaction = oneTransaction;
        }
    }

    /**
     * Backoff between attempts of a failing record. A listener failure is retried max-attempts times in all, then
     * dead-lettered; a database outage is retried with the same backoff without end.
     */
    public static final class Retry {
        /** Delay before the second attempt. */
        private Duration initialInterval = Duration.ofSeconds(1);
        /** Factor applied to the delay after each attempt. */
        private double multiplier = 2.0;
        /** Longest delay; keep it well under max.poll.interval.ms. */
        private Duration maxInterval = Duration.ofSeconds(30);
        /** Attempts of a failing record, the first included, before it is dead-lettered. */
        private int maxAttempts = 5;

        public Duration getInitialInterval() {
            return initialInterval;
        }

        public void setInitialInterval(Duration initialInterval) {
            this.initialInterval = initialInterval;
        }

        public double getMultiplier() {
            return multiplier;
        }

        public void setMultiplier(double multiplier) {
            this.multiplier = multiplier;
        }

        public Duration getMaxInterval() {
            return maxInterval;
        }

        public void setMaxInterval(Duration maxInterval) {
            this.maxInterval = maxInterval;
        }

        public int getMaxAttempts() {
            return maxAttempts;
        }

        public void setMaxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
        }
    }

    /** The dedup table's schema. */
    public static final class Schema {
        /**
         * Create or upgrade the dedup table with Flyway at start-up (own history table dedup_schema_history), before
         * any listener starts; false when a DBA applies the DDL from sql/.
         */
        private boolean migrate = true;

        public boolean isMigrate() {
            return migrate;
        }

        public void setMigrate(boolean migrate) {
            this.migrate = migrate;
        }
    }

    /**
     * Checks every value where it is consumed: the builders the properties feed validate them, and a value a builder
     * refuses is reported under its property's name. Only what concerns the properties themselves, and no builder,
     * is checked here: one key source at most, the table name the migration creates, a retention check mode.
     */
    @Override
    public void afterPropertiesSet() {
        int keySources = (StringUtils.hasText(key.header) ? 1 : 0) + (StringUtils.hasText(key.jsonField) ? 1 : 0)
                + (StringUtils.hasText(key.expression) ? 1 : 0);
        if (keySources > 1) {
            throw new InvalidConfigurationPropertyValueException("dedup.key", "header=" + key.header + ", json-field="
                    + key.jsonField + ", expression=" + key.expression,
                    "set at most one of dedup.key.header, dedup.key.json-field, dedup.key.expression");
        }
        feed("dedup.table", table, () -> DedupTable.validName(table));
        feed("dedup.retention", retention, () -> DedupRetention.builder().window(retention));
        feed("dedup.purge.batch-size", purge.batchSize, () -> DedupRetention.builder().batchSize(purge.batchSize));
        settings();
        if (retentionCheck == null) {
            throw new InvalidConfigurationPropertyValueException("dedup.retention-check", null, "must be FAIL, WARN or OFF");
        }
        if (retentionCheck != RetentionCheck.OFF) {
            configure(() -> RetentionGuard.builder().window(retention));
        }
        if (schema.migrate && !DedupTable.DEFAULT_NAME.equals(table)) {
            throw new InvalidConfigurationPropertyValueException("dedup.table", table, "the migration "
                    + "(dedup.schema.migrate=true) creates the table " + DedupTable.DEFAULT_NAME + "; to use another "
                    + "name, create it from sql/<database>/V1__create_dedup_record.sql under that name and set "
                    + "dedup.schema.migrate=false");
        }
    }

    /** The listener settings these properties describe, built (and so checked) by {@link DedupListenerSettings.Builder}. */
    DedupListenerSettings settings() {
        return configure(() -> {
            DedupListenerSettings.Builder settings = DedupListenerSettings.builder()
                    .table(table)
                    .consumerName(StringUtils.hasText(consumerName) ? consumerName : null)
                    .conflictPolicy(conflictPolicy)
                    .oneTransactionPerBatch(batch.oneTransaction)
                    .maxAttempts(retry.maxAttempts)
                    .retryBackoff(retry.initialInterval, retry.multiplier, retry.maxInterval);
            if (StringUtils.hasText(key.header)) {
                settings.defaultKey(DedupKey.header(key.header));
            } else if (StringUtils.hasText(key.jsonField)) {
                settings.defaultKey(DedupKey.jsonField(key.jsonField));
            } else if (StringUtils.hasText(key.expression)) {
                settings.defaultKeyExpression(key.expression);
            }
            return settings.build();
        });
    }

    /**
     * Runs code that feeds these properties to builders that name the setting they refuse (an
     * {@link InvalidSettingException}); a value refused there is rethrown under the name of the property it came from.
     *
     * @throws InvalidConfigurationPropertyValueException naming the property, the value and the builder's reason
     */
    static <T> T configure(Supplier<T> feed) {
        try {
            return feed.get();
        } catch (InvalidSettingException e) {
            String property = PROPERTIES.get(e.setting());
            if (property == null) {
                throw new IllegalStateException("no dedup.* property feeds the setting " + e.setting(), e);
            }
            throw new InvalidConfigurationPropertyValueException(property, e.value(), e.reason());
        }
    }

    /**
     * Feeds one property to one setter of the {@code jdbc} package ({@link DedupTable}, {@link DedupRetention}), which
     * depends on nothing else of the library and so refuses with a plain {@link IllegalArgumentException}: the call
     * takes that one property, so a refusal is its.
     *
     * @throws InvalidConfigurationPropertyValueException naming the property, the value and the setter's message
     */
    static <T> T feed(String property, @Nullable Object value, Supplier<T> setter) {
        try {
            return setter.get();
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationPropertyValueException(property, value, e.getMessage());
        }
    }
}
