package io.dedupconsumer.jdbc;

import static io.dedupconsumer.jdbc.DedupTableRows.count;
import static io.dedupconsumer.jdbc.DedupTableRows.countWithPrefix;
import static io.dedupconsumer.jdbc.DedupTableRows.insert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.Databases;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The retention purge on H2 and the real MariaDB and PostgreSQL servers; keys are aged on the database's clock. */
class DedupRetentionTests {

    private static final Duration WEEK = Duration.ofDays(7);
    private static final String TABLE = DedupTable.DEFAULT_NAME;

    @RegisterExtension
    final Databases databases = new Databases();
    private final List<DedupRetention> retentions = new ArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();



    @AfterEach
    void close() {
        retentions.forEach(DedupRetention::close);
    }

    private HikariDataSource migrated(TestDatabase database) {
        return databases.migrated(database, "retention");
    }

    private DedupRetention.Builder retention(HikariDataSource dataSource) {
        return DedupRetention.builder().dataSource(dataSource).window(WEEK).meterRegistry(meters);
    }

    private DedupRetention built(DedupRetention.Builder builder) {
        DedupRetention retention = builder.build();
        retentions.add(retention);
        return retention;
    }

    /** What the purge's cutoff with the test's window is right now, on the database's clock. */
    private static Instant databaseCutoff(HikariDataSource dataSource) throws SQLException {
        return new RetentionStatements(dataSource, TABLE, null).cutoff(WEEK);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#oneDriverEach")
    void keysOlderThanTheWindowAreDeletedInBoundedBatchesAndYoungerOnesKept(TestDatabase database) throws SQLException {
        HikariDataSource dataSource = migrated(database);
        insert(dataSource, TABLE, "inventory", "old", 2_500, Duration.ofDays(8));
        insert(dataSource, TABLE, "billing", "old-billing", 300, WEEK.plusMinutes(1));
        insert(dataSource, TABLE, "inventory", "nearly-due", 1, WEEK.minusMinutes(1));
        insert(dataSource, TABLE, "inventory", "young", 400, Duration.ofDays(6));
        DedupRetention retention = built(retention(dataSource).batchSize(1_000).pauseBetweenBatches(Duration.ZERO));

        Instant cutoffBefore = databaseCutoff(dataSource);
        Instant planned = retention.cutoff();
        long millisBefore = System.currentTimeMillis();
        PurgeResult result = retention.purgeOnce();
        long millisAfter = System.currentTimeMillis();

        assertThat(planned).as("a dry run's cutoff is the database's time minus the window, as a run's")
                .isBetween(cutoffBefore, result.cutoff());

        assertThat(result.deleted()).isEqualTo(2_800);
        assertThat(result.batches()).as("1,000 + 1,000 + 800 rows, each batch its own statement").isEqualTo(3);
        assertThat(result.cutoff()).as("the database's time at the start of the run, minus the window")
                .isBetween(cutoffBefore, databaseCutoff(dataSource));
        assertThat(result.complete()).isTrue();
        assertThat(count(dataSource, TABLE)).isEqualTo(401);
        assertThat(countWithPrefix(dataSource, TABLE, "young")).isEqualTo(400);
        assertThat(countWithPrefix(dataSource, TABLE, "nearly-due")).isEqualTo(1);

        assertThat(meters.get("dedup.purge.deleted").tag("table", TABLE).counter().count()).isEqualTo(2_800);
        assertThat(meters.get("dedup.purge.duration").timer().count()).isEqualTo(1);
        assertThat(meters.get("dedup.purge.last.success").gauge().value())
                .isBetween(millisBefore / 1000.0, millisAfter / 1000.0);
        assertThat(meters.get("dedup.purge.failures").counter().count()).isZero();

        PurgeResult again = retention.purgeOnce();
        assertThat(again.deleted()).isZero();
        assertThat(again.batches()).isEqualTo(1);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void eachBatchCommitsBeforeTheNextAndCloseStopsARunBetweenBatches(TestDatabase database) throws Exception {
        HikariDataSource dataSource = migrated(database);
        insert(dataSource, TABLE, "inventory", "old", 300, Duration.ofDays(30));
        DedupRetention retention = built(retention(dataSource).batchSize(100).pauseBetweenBatches(Duration.ofMinutes(1)));

        CompletableFuture<PurgeResult> run = CompletableFuture.supplyAsync(() -> {
            try {
                return retention.purgeOnce();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        // Another connection sees the first batch gone while the run still waits to start the second.
        await().atMost(Duration.ofSeconds(10)).until(() -> count(dataSource, TABLE) == 200);
        assertThat(run).isNotDone();

        retention.close();

        PurgeResult result = run.get(5, TimeUnit.SECONDS);
        assertThat(result.deleted()).isEqualTo(100);
        assertThat(result.batches()).isEqualTo(1);
        assertThat(result.complete()).isFalse();
        assertThat(count(dataSource, TABLE)).isEqualTo(200);
        assertThat(meters.get("dedup.purge.last.success").gauge().value()).as("an incomplete run is no success").isNaN();
    }

    @Test
    void aScheduledRetentionPurgesAgainAfterEachIntervalUntilClosed() throws SQLException {
        HikariDataSource dataSource = migrated(TestDatabase.h2());
        insert(dataSource, TABLE, "inventory", "first", 50, Duration.ofDays(8));
        DedupRetention retention = built(retention(dataSource)).start(Duration.ofSeconds(1));

        await().atMost(Duration.ofSeconds(10)).until(() -> count(dataSource, TABLE) == 0);
        insert(dataSource, TABLE, "inventory", "second", 70, Duration.ofDays(8));
        await().atMost(Duration.ofSeconds(10)).until(() -> count(dataSource, TABLE) == 0);
        assertThat(meters.get("dedup.purge.deleted").counter().count()).isEqualTo(120);

        assertThatThrownBy(() -> retention.start(Duration.ofSeconds(1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already started");
        retention.close();
        assertThatThrownBy(() -> retention.start(Duration.ofSeconds(1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        PurgeResult afterClose = retention.purgeOnce();
        assertThat(afterClose.complete()).isFalse();
        assertThat(afterClose.batches()).isZero();
    }

    @Test
    void onTheApplicationsExecutorCloseCancelsTheScheduleAndLeavesTheExecutorRunning() throws Exception {
        HikariDataSource dataSource = migrated(TestDatabase.h2());
        insert(dataSource, TABLE, "inventory", "first", 30, Duration.ofDays(8));
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            DedupRetention retention = built(retention(dataSource)).start(executor, Duration.ofSeconds(1));
            await().atMost(Duration.ofSeconds(10)).until(() -> count(dataSource, TABLE) == 0);

            retention.close();
            insert(dataSource, TABLE, "inventory", "after-close", 40, Duration.ofDays(8));
            // Two intervals later on the same executor: a schedule still alive would have run by then.
            executor.schedule(() -> { }, 2_500, TimeUnit.MILLISECONDS).get(10, TimeUnit.SECONDS);

            assertThat(executor.isShutdown()).isFalse();
            assertThat(count(dataSource, TABLE)).isEqualTo(40);
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void aDatabaseErrorFailsTheRunAndIsCountedAndTheScheduleGoesOn() {
        HikariDataSource dataSource = databases.create(TestDatabase.h2(), "no_table");
        DedupRetention retention = built(retention(dataSource));

        assertThatThrownBy(retention::purgeOnce).isInstanceOf(SQLException.class);
        assertThat(meters.get("dedup.purge.failures").counter().count()).isEqualTo(1);

        retention.start(Duration.ofSeconds(1));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> meters.get("dedup.purge.failures").counter().count() >= 3);
        assertThat(meters.get("dedup.purge.last.success").gauge().value()).isNaN();
    }

    @Test
    void everySettingIsCheckedAndTheMessageNamesIt() {
        HikariDataSource dataSource = databases.create(TestDatabase.h2(), "settings");
        assertThatThrownBy(() -> DedupRetention.builder().window(Duration.ofSeconds(59)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("window:");
        assertThatThrownBy(() -> DedupRetention.builder().window(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("window:");
        assertThatThrownBy(() -> DedupRetention.builder().batchSize(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("batchSize: 0");
        assertThatThrownBy(() -> DedupRetention.builder().batchSize(10_001))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("batchSize: 10001");
        assertThatThrownBy(() -> DedupRetention.builder().pauseBetweenBatches(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("pauseBetweenBatches:");
        assertThatThrownBy(() -> DedupRetention.builder().pauseBetweenBatches(Duration.ofMinutes(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("pauseBetweenBatches:");
        assertThatThrownBy(() -> DedupRetention.builder().table("dedup; DROP TABLE x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("table:");
        assertThatThrownBy(() -> DedupRetention.builder().window(WEEK).build())
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("dataSource: required");
        assertThatThrownBy(() -> DedupRetention.builder().dataSource(dataSource).build())
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("window: required");
        DedupRetention retention = built(retention(dataSource));
        assertThatThrownBy(() -> retention.start(Duration.ofMillis(999)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("interval:");
    }
}
