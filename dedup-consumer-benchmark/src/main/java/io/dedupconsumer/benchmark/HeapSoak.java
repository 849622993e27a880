package io.dedupconsumer.benchmark;

import io.dedupconsumer.core.BatchResult;
import io.dedupconsumer.core.BatchedStatements;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.testkit.KafkaBroker;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long batched-dedup run (the fast path: {@link Scenario#DEDUP_BATCH_STATEMENTS}) over many distinct keys that samples the heap after a full GC at fixed intervals. The
 * dedup state lives in the database only; if the core kept anything per key (a cache, a set of seen keys), the
 * retained heap would grow with the records processed, which this shows.
 */
final class HeapSoak {

    private static final Logger log = LoggerFactory.getLogger(HeapSoak.class);

    private HeapSoak() {
    }

    /**
     * The retained heap after a full GC at a point of the run.
     *
     * @param records records processed and committed by then
     */
    record Sample(double seconds, long records, long heapAfterGcBytes) {
    }

    record Result(Database database, long records, double recordsPerSecond, List<Sample> samples) {

        String markdown() {
            StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                    "Heap soak: dedup tx/poll, batched statements (fast path) on %s, 1 partition, %,d distinct keys, %,.0f records/s.%n%n"
                            + "| time s | records committed | heap after full GC MiB |%n|---:|---:|---:|%n",
                    database.label(), records, recordsPerSecond));
            for (Sample sample : samples) {
                out.append(String.format(Locale.ROOT, "| %.0f | %,d | %.1f |%n", sample.seconds(), sample.records(),
                        sample.heapAfterGcBytes() / 1048576.0));
            }
            Sample first = samples.get(1);
            Sample last = samples.get(samples.size() - 1);
            out.append(String.format(Locale.ROOT, "%nFrom the first sample under load to the last: %+.1f MiB over %,d "
                            + "records (%+.2f bytes per record).%n",
                    (last.heapAfterGcBytes() - first.heapAfterGcBytes()) / 1048576.0, last.records() - first.records(),
                    (double) (last.heapAfterGcBytes() - first.heapAfterGcBytes())
                            / Math.max(1, last.records() - first.records())));
            return out.toString();
        }
    }

    static Result run(KafkaBroker broker, Database database, int records, Duration interval) throws Exception {
        Workload workload = new WorkloadProducer(broker).produce(1, 0, records);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        AtomicLong committed = new AtomicLong();
        List<Sample> samples = new ArrayList<>();
        String group = "bench-soak-" + UUID.randomUUID();
        BatchedStatements<byte[], byte[]> fastPath = BatchedStatements.of(SideEffect::declare);
        try (ScenarioDatabase db = ScenarioDatabase.create(database, "bench_soak", 1,
                Scenario.DEDUP_BATCH_STATEMENTS.urlParameters(database))) {
            Deduplicator deduplicator = Benchmark.deduplicator(db, group);
            long started = System.nanoTime();
            Runnable sample = () -> {
                memory.gc();
                Sample taken = new Sample((System.nanoTime() - started) / 1e9, committed.get(),
                        memory.getHeapMemoryUsage().getUsed());
                synchronized (samples) {
                    samples.add(taken);
                }
                log.info("soak: {} records, heap after GC {} MiB", taken.records(), taken.heapAfterGcBytes() >> 20);
            };
            sample.run();
            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "bench-heap-sampler");
                thread.setDaemon(true);
                return thread;
            });
            ConsumerRun.Timing timing;
            try {
                sampler.scheduleAtFixedRate(sample, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
                timing = ConsumerRun.run(broker, workload, records, group, () -> batch -> {
                    BatchResult result = deduplicator.processBatchInOneCall(batch, fastPath);
                    if (!result.complete()) {
                        throw result.failure();
                    }
                    committed.addAndGet(batch.size());
                }, Duration.ofHours(2));
            } finally {
                sampler.shutdown();
                sampler.awaitTermination(1, TimeUnit.MINUTES);
            }
            sample.run();
            ScenarioDatabase.Totals totals = db.totals();
            if (totals.dedupRows() != records || totals.ledgerRows() != records) {
                throw new IllegalStateException("the soak left " + totals + " for " + records + " distinct events");
            }
            return new Result(database, timing.records(), timing.records() * 1e9 / timing.elapsedNanos(),
                    List.copyOf(samples));
        }
    }
}
