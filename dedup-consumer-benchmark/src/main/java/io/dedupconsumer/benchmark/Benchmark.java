package io.dedupconsumer.benchmark;

import io.dedupconsumer.core.BatchHandler;
import io.dedupconsumer.core.BatchedStatements;
import io.dedupconsumer.core.BatchResult;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.TransactionRunner;
import io.dedupconsumer.testkit.KafkaBroker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs every configuration of {@link Settings}: it fills one topic per (partitions, duplicates) pair, warms every
 * scenario up once (a quarter of the records), then runs the timed repetitions round-robin (each database's commit
 * rate and repetition 1 of everything, then repetition 2, ...) so that a slow phase of a shared machine spreads over
 * all scenarios instead of landing on one.
 */
final class Benchmark {

    private static final Logger log = LoggerFactory.getLogger(Benchmark.class);

    private final KafkaBroker broker;
    private final Settings settings;
    private final SideEffect sideEffect = new SideEffect();

    Benchmark(KafkaBroker broker, Settings settings) {
        this.broker = broker;
        this.settings = settings;
    }

    Report run() throws Exception {
        List<CommitProbe.CommitRate> commitRates = new ArrayList<>();
        WorkloadProducer producer = new WorkloadProducer(broker);
        List<Workload> workloads = new ArrayList<>();
        for (int partitions : settings.partitions()) {
            for (int duplicates : settings.duplicatePercents()) {
                workloads.add(producer.produce(partitions, duplicates, settings.batchRecords()));
            }
        }
        if (settings.warmUp()) {
            // The JIT's work is JVM-wide: one unreported run of every scenario on one topic warms them all.
            Workload first = workloads.get(0);
            forEachScenario((scenario, database) -> runOnce(scenario, database, first, 0));
        }
        List<RunResult> results = new ArrayList<>();
        for (int repetition = 1; repetition <= settings.repetitions(); repetition++) {
            int current = repetition;
            for (Database database : settings.databases()) {
                CommitProbe.CommitRate rate = CommitProbe.measure(database, repetition, settings.probeDuration());
                log.info("rep {} | {}: {} single-row tx/s, {} rows/s in {}-row transactions", repetition,
                        database.label(), Math.round(rate.transactionsPerSecond()), Math.round(rate.bulkRowsPerSecond()),
                        CommitProbe.BULK_ROWS);
                commitRates.add(rate);
            }
            for (Workload workload : workloads) {
                forEachScenario((scenario, database) -> results.add(runOnce(scenario, database, workload, current)));
            }
        }
        return new Report(settings, commitRates, results);
    }

    @FunctionalInterface
    private interface ScenarioAction {
        void run(Scenario scenario, Database database) throws Exception;
    }

    private void forEachScenario(ScenarioAction action) throws Exception {
        for (Scenario scenario : settings.scenarios()) {
            if (!scenario.usesDatabase()) {
                action.run(scenario, null);
                continue;
            }
            for (Database database : settings.databases()) {
                if (scenario.runsOn(database)) {
                    action.run(scenario, database);
                }
            }
        }
    }

    /** One run on a fresh consumer group and, for the database scenarios, a fresh database. */
    RunResult runOnce(Scenario scenario, Database database, Workload workload, int repetition) throws Exception {
        long records = scenario.perRecord() ? settings.perRecordRecords() : settings.batchRecords();
        if (repetition == 0) {
            records = Math.max(records / 4, 10);
        }
        long limit = workload.limitPerPartition(records);
        Workload.Expectation expected = workload.expect(limit);
        String group = "bench-" + scenario.name().toLowerCase() + "-" + UUID.randomUUID();
        ConsumerRun.Timing timing;
        RunResult.Check check;
        if (!scenario.usesDatabase()) {
            timing = ConsumerRun.run(broker, workload, limit, group, () -> batch -> { }, settings.runTimeout());
            check = RunResult.Check.of(scenario, timing.records(), null, expected);
        } else {
            try (ScenarioDatabase db = ScenarioDatabase.create(database, "bench_" + scenario.name(),
                    workload.partitionCount(), settings.urlParameters(scenario, database))) {
                if (scenario == Scenario.DEDUP_BATCH_STATEMENTS_NO_TIME_INDEX) {
                    db.dropClaimTimeIndex();
                }
                timing = scenario.share()
                        ? ShareRun.run(broker, workload, limit, group, scenario, db, settings.runTimeout())
                        : scenario.spring()
                        ? SpringRun.run(broker, workload, limit, group, scenario, db, settings.runTimeout())
                        : ConsumerRun.run(broker, workload, limit, group, processors(scenario, db, group),
                                settings.runTimeout());
                check = RunResult.Check.of(scenario, timing.records(), db.totals(), expected);
            }
        }
        RunResult result = new RunResult(scenario, database, workload.partitionCount(), workload.duplicatePercent(),
                repetition, timing.records(), timing.elapsedNanos(), timing.latencies().quantile(0.50),
                timing.latencies().quantile(0.99), timing.cpuNanos(), check);
        log.info("{} | {} | {} | {} partition(s) | {}% dup | {} records | {} records/s | p50 {} ms | p99 {} ms | "
                + "{} µs CPU/record | {}",
                repetition == 0 ? "warm-up" : "rep " + repetition, scenario.label(),
                database == null ? "-" : database.label(), workload.partitionCount(), workload.duplicatePercent(),
                result.records(), Math.round(result.recordsPerSecond()), result.p50Nanos() / 1_000_000,
                result.p99Nanos() / 1_000_000, Math.round(result.cpuMicrosPerRecord()), check.ok() ? "checked" : "CHECK FAILED " + check);
        if (!check.ok()) {
            throw new IllegalStateException(scenario.label() + " on " + (database == null ? "-" : database.label())
                    + " left wrong totals: " + check);
        }
        return result;
    }

    private Supplier<ConsumerRun.PollProcessor> processors(Scenario scenario, ScenarioDatabase db, String group) {
        TransactionRunner transactions = TransactionRunner.jdbc(db.dataSource());
        return switch (scenario) {
            case UNSAFE_RECORD -> () -> batch -> {
                for (var record : batch) {
                    transactions.inTransaction(connection -> sideEffect.handle(record, connection));
                }
            };
            case UNSAFE_BATCH -> () -> batch -> transactions.inTransaction(connection -> {
                for (var record : batch) {
                    sideEffect.handle(record, connection);
                }
                return null;
            });
            case UNSAFE_BATCH_JDBC, UNSAFE_BATCH_JDBC_REWRITE -> () -> batch -> transactions.inTransaction(connection -> {
                SideEffect.applyBatched(batch, connection);
                return null;
            });
            case DEDUP_RECORD -> {
                Deduplicator deduplicator = deduplicator(db, group);
                yield () -> batch -> {
                    for (var record : batch) {
                        deduplicator.process(record, sideEffect);
                    }
                };
            }
            case DEDUP_BATCH -> {
                Deduplicator deduplicator = deduplicator(db, group);
                yield () -> batch -> {
                    BatchResult result = deduplicator.processBatch(batch, sideEffect);
                    if (!result.complete()) {
                        throw result.failure();
                    }
                };
            }
            case DEDUP_BATCH_JDBC -> {
                Deduplicator deduplicator = deduplicator(db, group);
                BatchHandler<byte[], byte[]> jdbcBatch = (records, connection) -> {
                    SideEffect.applyBatched(records, connection);
                    return null;
                };
                yield () -> batch -> {
                    BatchResult result = deduplicator.processBatchInOneCall(batch, jdbcBatch);
                    if (!result.complete()) {
                        throw result.failure();
                    }
                };
            }
            case DEDUP_BATCH_STATEMENTS, DEDUP_BATCH_STATEMENTS_NO_TIME_INDEX -> {
                Deduplicator deduplicator = deduplicator(db, group);
                BatchedStatements<byte[], byte[]> fastPath = BatchedStatements.of(SideEffect::declare);
                yield () -> batch -> {
                    BatchResult result = deduplicator.processBatchInOneCall(batch, fastPath);
                    if (!result.complete()) {
                        throw result.failure();
                    }
                };
            }
            case CONSUME_ONLY -> throw new IllegalArgumentException("consume-only runs without a database");
            case SPRING_UNSAFE_RECORD, SPRING_DEDUP_RECORD, SPRING_UNSAFE_BATCH, SPRING_DEDUP_BATCH ->
                    throw new IllegalArgumentException(scenario + " runs in a Spring listener container (SpringRun)");
            case SHARE_UNSAFE_RECORD, SHARE_DEDUP_RECORD ->
                    throw new IllegalArgumentException(scenario + " runs share consumers (ShareRun)");
        };
    }

    /** A deduplicator as an application configures one: a header key, the default SHA-256 fingerprint, a registry. */
    static Deduplicator deduplicator(ScenarioDatabase db, String consumerName) {
        return Deduplicator.builder()
                .consumerName(consumerName)
                .dataSource(db.dataSource())
                .dialect(db.database().dialect())
                .dedupKey(DedupKey.header(Event.ID_HEADER))
                .meterRegistry(new SimpleMeterRegistry())
                .build();
    }
}
