package io.dedupconsumer.jdbc;

import static io.dedupconsumer.jdbc.DedupTableRows.count;
import static io.dedupconsumer.jdbc.DedupTableRows.insert;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A purge over a large table must not stall the consumers: while one thread deletes 200,000 old keys with the default
 * settings, another keeps claiming new keys through {@link Deduplicator#process}, and every claim succeeds within a
 * generous bound. The figures (purge throughput, claim latency with and without the purge) are logged.
 */
class DedupRetentionUnderLoadTests {

    private static final Logger log = LoggerFactory.getLogger(DedupRetentionUnderLoadTests.class);
    private static final int OLD_ROWS = 200_000;
    private static final int BASELINE_CLAIMS = 1_000;
    private static final Duration CLAIM_LATENCY_BOUND = Duration.ofSeconds(2);


    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void claimsKeepSucceedingWithBoundedLatencyWhileAPurgeDeletesALargeTable(TestDatabase database) throws Exception {
        try (HikariDataSource dataSource = database.create("purge_load")) {
            DedupSchema.migrate(dataSource);
            long filling = System.nanoTime();
            insert(dataSource, DedupTable.DEFAULT_NAME, "inventory", "old", OLD_ROWS, Duration.ofDays(30));
            log.info("{}: inserted {} old keys in {} ms", database, OLD_ROWS, millis(System.nanoTime() - filling));

            Deduplicator deduplicator = Deduplicator.builder().consumerName("inventory").dataSource(dataSource)
                    .dedupKey(DedupKey.recordKey()).meterRegistry(new SimpleMeterRegistry()).build();
            Claimer claimer = new Claimer(deduplicator);
            long[] baseline = claimer.claim(BASELINE_CLAIMS);

            DedupRetention retention = DedupRetention.builder().dataSource(dataSource).window(Duration.ofDays(7))
                    .meterRegistry(new SimpleMeterRegistry()).build();
            CompletableFuture<PurgeResult> purge = CompletableFuture.supplyAsync(() -> {
                try {
                    return retention.purgeOnce();
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            long[] during = claimer.claimUntil(purge);
            PurgeResult result = purge.get(5, TimeUnit.MINUTES);

            double rowsPerSecond = result.deleted() / (result.duration().toNanos() / 1e9);
            log.info("{}: purged {} keys in {} batches of 1,000 in {} ms = {} keys/s (10 ms pauses included)", database,
                    result.deleted(), result.batches(), result.duration().toMillis(), Math.round(rowsPerSecond));
            log.info("{}: claim latency without purge over {} claims: {}", database, baseline.length, summary(baseline));
            log.info("{}: claim latency during purge over {} claims: {}", database, during.length, summary(during));

            assertThat(result.deleted()).isEqualTo(OLD_ROWS);
            assertThat(result.batches()).isEqualTo(OLD_ROWS / 1_000 + 1);
            assertThat(count(dataSource, DedupTable.DEFAULT_NAME)).isEqualTo(BASELINE_CLAIMS + during.length);
            assertThat(during.length).as("claims made while the purge ran").isGreaterThan(100);
            assertThat(Arrays.stream(during).max().orElseThrow())
                    .as("slowest claim during the purge, in nanoseconds").isLessThan(CLAIM_LATENCY_BOUND.toNanos());
        }
    }

    private static String summary(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return String.format("p50 %.1f ms, p99 %.1f ms, max %.1f ms", sorted[sorted.length / 2] / 1e6,
                sorted[(int) (sorted.length * 0.99)] / 1e6, sorted[sorted.length - 1] / 1e6);
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /** Claims new keys one transaction each, as a per-record consumer does, and times every claim. */
    private static final class Claimer {
        private final Deduplicator deduplicator;
        private long offset;

        Claimer(Deduplicator deduplicator) {
            this.deduplicator = deduplicator;
        }

        long[] claim(int claims) {
            long[] latencies = new long[claims];
            for (int i = 0; i < claims; i++) {
                latencies[i] = claimOne();
            }
            return latencies;
        }

        long[] claimUntil(CompletableFuture<?> done) {
            long[] latencies = new long[1024];
            int n = 0;
            while (!done.isDone()) {
                if (n == latencies.length) {
                    latencies = Arrays.copyOf(latencies, n * 2);
                }
                latencies[n++] = claimOne();
            }
            return Arrays.copyOf(latencies, n);
        }

        private long claimOne() {
            long start = System.nanoTime();
            String key = "new-" + offset;
            DedupResult result = deduplicator.process(new ConsumerRecord<>("inventory", 0, offset++, key, "payload"),
                    (record, connection) -> HandlerResult.processed());
            long latency = System.nanoTime() - start;
            assertThat(result.outcome()).isEqualTo(Outcome.PROCESSED);
            return latency;
        }
    }
}
