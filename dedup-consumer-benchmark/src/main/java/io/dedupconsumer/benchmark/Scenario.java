package io.dedupconsumer.benchmark;

/**
 * What a measured consumer does with each poll. Every database scenario applies the same {@link SideEffect}; they
 * differ only in transactions (one per record or one per poll) and in whether the dedup protocol guards the effect.
 * The Kafka offset is committed with {@code commitSync} after every poll in every scenario.
 */
enum Scenario {
    /** Poll and commit offsets, nothing else: the ceiling Kafka sets. */
    CONSUME_ONLY("consume only", false, false),
    /** The side effect in one transaction per record, no dedup: applies duplicates twice. */
    UNSAFE_RECORD("unsafe, tx/record", true, true),
    /** {@code Deduplicator.process}: claim and side effect in one transaction per record. */
    DEDUP_RECORD("dedup, tx/record", true, true),
    /** The per-record handler in one transaction per poll, no dedup: the baseline of batched dedup. */
    UNSAFE_BATCH("unsafe, tx/poll", false, true),
    /** One transaction per poll with JDBC batching of the two statements, no dedup: the best an unsafe loop does. */
    UNSAFE_BATCH_JDBC("unsafe, tx/poll, JDBC batch", false, true),
    /** As {@link #UNSAFE_BATCH_JDBC} with Connector/J's {@code rewriteBatchedStatements=true} (MariaDB only). */
    UNSAFE_BATCH_JDBC_REWRITE("unsafe, tx/poll, JDBC batch, rewrite", false, true),
    /** {@code Deduplicator.processBatch}: claims and side effects of a poll in one transaction. */
    DEDUP_BATCH("dedup, tx/poll", false, true),
    /**
     * {@code Deduplicator.processBatchInOneCall} with a {@code BatchHandler} that sends the poll's new records' statements
     * as one JDBC batch (the same statements as the unsafe JDBC batch); on MariaDB with
     * {@code rewriteBatchedStatements=true}. Compared with the best unsafe JDBC batch.
     */
    DEDUP_BATCH_JDBC("dedup, tx/poll, JDBC-batched handler", false, true),
    /**
     * The library's fast path: the per-record side effect written as a {@code StatementHandler} (its statements
     * declared, the credit's row count deciding the outcome), sent by {@code BatchedStatements} as JDBC batches; the
     * same URL parameters as {@link #DEDUP_BATCH_JDBC}. Compared with the best unsafe JDBC batch.
     */
    DEDUP_BATCH_STATEMENTS("dedup, tx/poll, batched statements (fast path)", false, true),
    /**
     * {@link #DEDUP_BATCH_STATEMENTS} on a claim table without its {@code processed_at} index (which only the
     * retention's purge uses): what that index costs the hot path. Compared with the same scenario with the index.
     */
    DEDUP_BATCH_STATEMENTS_NO_TIME_INDEX("fast path, claim table without processed_at index", false, true),
    /** A plain spring-kafka record listener, {@code @Transactional}, no dedup: the baseline of the next. */
    SPRING_UNSAFE_RECORD("Spring, unsafe, tx/record", true, true),
    /** A Spring {@code @Deduplicated} record listener: claim and effect in one transaction per record. */
    SPRING_DEDUP_RECORD("Spring @Deduplicated, tx/record", true, true),
    /**
     * A plain spring-kafka batch listener, {@code @Transactional}, with two {@code JdbcTemplate.batchUpdate}s per poll
     * (on MariaDB with {@code rewriteBatchedStatements=true}), no dedup: the baseline of the next.
     */
    SPRING_UNSAFE_BATCH("Spring batch, unsafe, tx/poll, batchUpdate", false, true),
    /** A Spring {@code @Deduplicated} batch listener: the poll's new records in one call, two {@code batchUpdate}s. */
    SPRING_DEDUP_BATCH("Spring @Deduplicated batch, tx/poll, batchUpdate", false, true),
    /**
     * {@link ShareRun#CONSUMERS} plain {@code KafkaShareConsumer}s of one share group on fewer partitions, the side
     * effect in one transaction per record, explicitly accepted after it, no dedup: the baseline of the next.
     */
    SHARE_UNSAFE_RECORD("share group, unsafe, tx/record, ACCEPT", true, true),
    /** As {@link #SHARE_UNSAFE_RECORD} with {@code DedupShareConsumerRunner}s: claim and effect, then ACCEPT. */
    SHARE_DEDUP_RECORD("share group, DedupShareConsumerRunner, tx/record", true, true);

    private final String label;
    private final boolean perRecord;
    private final boolean usesDatabase;

    Scenario(String label, boolean perRecord, boolean usesDatabase) {
        this.label = label;
        this.perRecord = perRecord;
        this.usesDatabase = usesDatabase;
    }

    String label() {
        return label;
    }

    /** Whether it commits a transaction per record, and so reads the shorter per-record prefix of the topic. */
    boolean perRecord() {
        return perRecord;
    }

    boolean usesDatabase() {
        return usesDatabase;
    }

    boolean deduplicates() {
        return this == DEDUP_RECORD || this == DEDUP_BATCH || this == DEDUP_BATCH_JDBC || this == DEDUP_BATCH_STATEMENTS
                || this == DEDUP_BATCH_STATEMENTS_NO_TIME_INDEX || this == SPRING_DEDUP_RECORD || this == SPRING_DEDUP_BATCH
                || this == SHARE_DEDUP_RECORD;
    }

    /** Whether it runs in a spring-kafka listener container of its own ({@link SpringRun}), not in {@link ConsumerRun}. */
    boolean spring() {
        return this == SPRING_UNSAFE_RECORD || this == SPRING_DEDUP_RECORD || this == SPRING_UNSAFE_BATCH
                || this == SPRING_DEDUP_BATCH;
    }

    /** Whether it runs share consumers ({@link ShareRun}), not in {@link ConsumerRun}. */
    boolean share() {
        return this == SHARE_UNSAFE_RECORD || this == SHARE_DEDUP_RECORD;
    }

    boolean runsOn(Database database) {
        return this != UNSAFE_BATCH_JDBC_REWRITE || database == Database.MARIADB;
    }

    /** The JDBC URL parameters the scenario's pool needs on {@code database}. */
    String urlParameters(Database database) {
        boolean rewrite = this == UNSAFE_BATCH_JDBC_REWRITE || this == DEDUP_BATCH_JDBC || this == DEDUP_BATCH_STATEMENTS
                || this == DEDUP_BATCH_STATEMENTS_NO_TIME_INDEX || this == SPRING_UNSAFE_BATCH || this == SPRING_DEDUP_BATCH;
        return rewrite && database == Database.MARIADB ? "rewriteBatchedStatements=true" : "";
    }

    /** The scenario this one is compared with on {@code database} in the same run, or {@code null}. */
    Scenario baseline(Database database) {
        return switch (this) {
            case DEDUP_RECORD -> UNSAFE_RECORD;
            case DEDUP_BATCH, UNSAFE_BATCH_JDBC -> UNSAFE_BATCH;
            case UNSAFE_BATCH_JDBC_REWRITE -> UNSAFE_BATCH_JDBC;
            case DEDUP_BATCH_JDBC, DEDUP_BATCH_STATEMENTS -> database == Database.MARIADB ? UNSAFE_BATCH_JDBC_REWRITE : UNSAFE_BATCH_JDBC;
            case DEDUP_BATCH_STATEMENTS_NO_TIME_INDEX -> DEDUP_BATCH_STATEMENTS;
            case SPRING_DEDUP_RECORD -> SPRING_UNSAFE_RECORD;
            case SPRING_DEDUP_BATCH -> SPRING_UNSAFE_BATCH;
            case SHARE_DEDUP_RECORD -> SHARE_UNSAFE_RECORD;
            default -> null;
        };
    }
}
