package io.dedupconsumer.spring.boot;

import io.dedupconsumer.core.ConflictPolicy;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.jdbc.DedupTable;
import io.dedupconsumer.spring.DedupListenerSettings;
import java.time.Duration;
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
    private String consumerName;

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

    public String getConsumerName() {
        return consumerName;
    }

    public void setConsumerName(String consumerName) {
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
        private String header;
        /** A scalar field of a JSON payload holding the dedup key: a field name or a JSON Pointer (/payment/txId). */
        private String jsonField;
        /** A SpEL expression over key, payload, headers, topic, partition, offset and record. */
        private String expression;

        public String getHeader() {
            return header;
        }

        public void setHeader(String header) {
            this.header = header;
        }

        public String getJsonField() {
            return jsonField;
        }

        public void setJsonField(String jsonField) {
            this.jsonField = jsonField;
        }

        public String getExpression() {
            return expression;
        }

        public void setExpression(String expression) {
            this.expression = expression;
        }
    }

    /** How batch listeners are processed. */
    public static final class Batch {
        /**
         * One transaction per poll batch (claims in a few statements: the throughput path); false for one
         * transaction per record (shorter lock hold times).
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

    @Override
    public void afterPropertiesSet() {
        settings();
        if (schema.migrate && !DedupTable.DEFAULT_NAME.equals(table)) {
            throw invalid("dedup.table", table, "the migration (dedup.schema.migrate=true) creates the table "
                    + DedupTable.DEFAULT_NAME + "; to use another name, create it from "
                    + "sql/<database>/V1__create_dedup_record.sql under that name and set dedup.schema.migrate=false");
        }
        if (retention == null || retention.compareTo(Duration.ofMinutes(1)) < 0) {
            throw invalid("dedup.retention", retention, "must be at least 1m, e.g. 14d; it must exceed how long a "
                    + "record can be redelivered");
        }
        if (retentionCheck == null) {
            throw invalid("dedup.retention-check", null, "must be FAIL, WARN or OFF");
        }
        if (purge.interval == null || purge.interval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw invalid("dedup.purge.interval", purge.interval, "must be at least 1s (minutes to an hour is typical)");
        }
        if (purge.batchSize < 1 || purge.batchSize > 10_000) {
            throw invalid("dedup.purge.batch-size", purge.batchSize, "must be between 1 and 10000");
        }
    }

    /**
     * The listener settings these properties describe, built (and so checked) by {@link DedupListenerSettings.Builder};
     * a value the builder refuses is reported under its property's name.
     */
    DedupListenerSettings settings() {
        DedupListenerSettings.Builder settings = DedupListenerSettings.builder();
        apply("dedup.table", table, () -> settings.table(table));
        apply("dedup.consumer-name", consumerName, () -> settings.consumerName(StringUtils.hasText(consumerName) ? consumerName : null));
        apply("dedup.conflict-policy", conflictPolicy, () -> settings.conflictPolicy(conflictPolicy));
        apply("dedup.batch.one-transaction", batch.oneTransaction, () -> settings.oneTransactionPerBatch(batch.oneTransaction));
        apply("dedup.retry.max-attempts", retry.maxAttempts, () -> settings.maxAttempts(retry.maxAttempts));
        try {
            settings.retryBackoff(retry.initialInterval, retry.multiplier, retry.maxInterval);
        } catch (IllegalArgumentException e) {
            // the builder's message starts with the parameter's name
            String message = e.getMessage();
            if (message.startsWith("multiplier")) {
                throw invalid("dedup.retry.multiplier", retry.multiplier, message);
            }
            throw message.startsWith("maxInterval") ? invalid("dedup.retry.max-interval", retry.maxInterval, message)
                    : invalid("dedup.retry.initial-interval", retry.initialInterval, message);
        }
        int keySources = (StringUtils.hasText(key.header) ? 1 : 0) + (StringUtils.hasText(key.jsonField) ? 1 : 0)
                + (StringUtils.hasText(key.expression) ? 1 : 0);
        if (keySources > 1) {
            throw invalid("dedup.key", "header=" + key.header + ", json-field=" + key.jsonField + ", expression="
                    + key.expression, "set at most one of dedup.key.header, dedup.key.json-field, dedup.key.expression");
        }
        if (StringUtils.hasText(key.header)) {
            apply("dedup.key.header", key.header, () -> settings.defaultKey(DedupKey.header(key.header)));
        } else if (StringUtils.hasText(key.jsonField)) {
            apply("dedup.key.json-field", key.jsonField, () -> settings.defaultKey(DedupKey.jsonField(key.jsonField)));
        } else if (StringUtils.hasText(key.expression)) {
            apply("dedup.key.expression", key.expression, () -> settings.defaultKeyExpression(key.expression));
        }
        return settings.build();
    }

    private static void apply(String property, Object value, Runnable setting) {
        try {
            setting.run();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw invalid(property, value, String.valueOf(e.getMessage()));
        }
    }

    private static InvalidConfigurationPropertyValueException invalid(String name, Object value, String reason) {
        return new InvalidConfigurationPropertyValueException(name, value, reason);
    }
}
