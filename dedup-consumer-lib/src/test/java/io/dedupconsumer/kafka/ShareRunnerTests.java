package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.testkit.TcpProxy;
import io.dedupconsumer.testkit.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link DedupShareConsumerRunner} on the real broker's share groups and real MariaDB and PostgreSQL: several consumers
 * of one partition, records redelivered after a release or an expired lock, and every effect applied exactly once.
 */
class ShareRunnerTests {

    private static final Duration LOCK = Duration.ofSeconds(15);

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void twoShareConsumersOfOnePartitionApplyDuplicatesAndResendsOnce(TestDatabase database) {
        try (RunnerFixture fixture = RunnerFixture.create("share-once", database, 1)) {
            fixture.shareGroup(LOCK);
            AtomicInteger first = new AtomicInteger();
            AtomicInteger second = new AtomicInteger();
            fixture.start(fixture.shareRunner(fixture.dataSource).listener(fixture.recorderAnd(counting(first))).build());
            fixture.start(fixture.shareRunner(fixture.dataSource).listener(fixture.recorderAnd(counting(second))).build());
            fixture.awaitShareMembers(2); // both consumers hold the one partition before the first record arrives
            for (int i = 0; i < 20; i++) {
                fixture.send(0, "k" + i, "v" + i);
            }
            for (int i = 0; i < 20; i += 2) {
                fixture.send(0, "k" + i, "v" + i); // re-sent by the producer: same key, same payload
            }

            await().atMost(RunnerFixture.WAIT).until(() -> fixture.seen.size() >= 30);

            assertThat(fixture.effectsByKey()).hasSize(20).allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
            assertThat(fixture.outcomes(Outcome.PROCESSED)).isEqualTo(20);
            assertThat(fixture.outcomes(Outcome.DUPLICATE)).isEqualTo(10);
            assertThat(first.get()).as("records the first consumer processed").isPositive();
            assertThat(second.get()).as("records the second consumer of the same partition processed").isPositive();
            assertThat(fixture.deadLetters(0)).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void poisonRecordsAreDeadLetteredOnceAndNotRedeliveredForever(TestDatabase database) {
        try (RunnerFixture fixture = RunnerFixture.create("share-poison", database, 1)) {
            fixture.shareGroup(LOCK);
            AtomicInteger poisonAttempts = new AtomicInteger();
            RecordHandler<String, String> handler = (record, connection) -> {
                if (record.key().equals("poison")) {
                    poisonAttempts.incrementAndGet();
                    throw new IllegalStateException("the handler always fails this record");
                }
                return RunnerFixture.EFFECT.handle(record, connection);
            };
            fixture.start(fixture.shareRunner(fixture.dataSource).handler(handler).maxAttempts(3).build());
            fixture.start(fixture.shareRunner(fixture.dataSource).handler(handler).maxAttempts(3).build());
            fixture.send(0, "poison", "bad");
            fixture.send(0, "garbage".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xC3, (byte) 0x28});
            for (int i = 0; i < 5; i++) {
                fixture.send(0, "ok" + i, "v");
            }

            List<ConsumerRecord<byte[], byte[]>> deadLetters = fixture.deadLetters(2);
            await().atMost(RunnerFixture.WAIT).until(() -> fixture.effects() == 5);
            // longer than the runners need for another delivery: a released poison record would be back by now
            await().pollDelay(Duration.ofSeconds(2)).until(() -> true);

            assertThat(deadLetters).hasSize(2);
            ConsumerRecord<byte[], byte[]> failed = deadLetters.stream()
                    .filter(r -> "FAILED".equals(RunnerFixture.text(r, DeadLetterHeaders.OUTCOME))).findFirst().orElseThrow();
            assertThat(new String(failed.value(), StandardCharsets.UTF_8)).isEqualTo("bad");
            assertThat(RunnerFixture.text(failed, DeadLetterHeaders.REASON)).contains("3 deliveries");
            ConsumerRecord<byte[], byte[]> invalid = deadLetters.stream()
                    .filter(r -> "INVALID".equals(RunnerFixture.text(r, DeadLetterHeaders.OUTCOME))).findFirst().orElseThrow();
            assertThat(invalid.value()).containsExactly((byte) 0xC3, (byte) 0x28);
            assertThat(RunnerFixture.text(invalid, DeadLetterHeaders.ORIGINAL_TOPIC)).isEqualTo(fixture.topic);
            assertThat(poisonAttempts.get()).as("handler runs of the poison record: one per delivery").isEqualTo(3);
            assertThat(fixture.deadLetters(2)).as("no further dead letters").hasSize(2);
            assertThat(fixture.effectsByKey()).hasSize(5).allSatisfy((key, count) -> assertThat(count).isEqualTo(1));
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void databaseOutageHoldsTheRecordsWithoutSpendingTheirDeliveriesAndAppliesThemOnceItIsBack(TestDatabase database) {
        try (RunnerFixture fixture = RunnerFixture.create("share-outage", database, 1);
                TcpProxy proxy = TcpProxy.start(database.host(), database.port());
                HikariDataSource throughProxy = database.dataSource(fixture.databaseName, proxy.port())) {
            fixture.shareGroup(Duration.ofSeconds(2)); // the outage outlasts the lock several times
            AtomicBoolean cut = new AtomicBoolean();
            List<Short> deliveries = new CopyOnWriteArrayList<>();
            RecordHandler<String, String> handler = (record, connection) -> {
                deliveries.add(record.deliveryCount().orElseThrow());
                if (record.key().equals("k4") && cut.compareAndSet(false, true)) {
                    proxy.cut(); // the database goes away inside this record's transaction
                }
                return RunnerFixture.EFFECT.handle(record, connection);
            };
            fixture.start(fixture.shareRunner(throughProxy).handler(handler)
                    .retryBackoff(Duration.ofMillis(300), 1.0, Duration.ofMillis(300)).build());
            for (int i = 0; i < 10; i++) {
                fixture.send(0, "k" + i, "v");
            }

            await().atMost(RunnerFixture.WAIT)
                    .until(() -> fixture.counter("dedup.retries", "kind", "database-unavailable") >= 3);
            await().atMost(RunnerFixture.WAIT).until(() -> fixture.counter("dedup.share.lock.renewals") >= 2);
            assertThat(fixture.effects()).as("effects while the database is away").isEqualTo(fixture.dedupRows());
            proxy.restore();

            await().atMost(RunnerFixture.WAIT).until(() -> fixture.effects() == 10);
            assertThat(fixture.effectsByKey()).hasSize(10).allSatisfy((key, count) -> assertThat(count).isEqualTo(1));
            assertThat(fixture.dedupRows()).isEqualTo(10);
            assertThat(deliveries).as("delivery counts the handler saw: held through the outage, never released")
                    .containsOnly((short) 1);
            assertThat(fixture.deadLetters(0)).isEmpty();
            assertThat(fixture.counter("dedup.dead.letters", "reason", "FAILED")).isZero();
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void databaseOutageLongerThanTheRenewalBoundReleasesTheRecordsAndNeverDeadLettersThem(TestDatabase database) {
        try (RunnerFixture fixture = RunnerFixture.create("share-outage-long", database, 1);
                TcpProxy proxy = TcpProxy.start(database.host(), database.port());
                HikariDataSource throughProxy = database.dataSource(fixture.databaseName, proxy.port())) {
            fixture.shareGroup(Duration.ofSeconds(2));
            AtomicBoolean cut = new AtomicBoolean();
            List<Short> deliveries = new CopyOnWriteArrayList<>();
            RecordHandler<String, String> handler = (record, connection) -> {
                deliveries.add(record.deliveryCount().orElseThrow());
                if (cut.compareAndSet(false, true)) {
                    proxy.cut();
                }
                return RunnerFixture.EFFECT.handle(record, connection);
            };
            fixture.start(fixture.shareRunner(throughProxy).handler(handler).maxLockRenewal(Duration.ofSeconds(1))
                    .retryBackoff(Duration.ofMillis(300), 1.0, Duration.ofMillis(300)).build());
            for (int i = 0; i < 4; i++) {
                fixture.send(0, "k" + i, "v");
            }

            await().atMost(RunnerFixture.WAIT)
                    .until(() -> fixture.counter("dedup.retries", "kind", "database-unavailable") >= 5);
            proxy.restore();

            await().atMost(RunnerFixture.WAIT).until(() -> fixture.effects() == 4);
            assertThat(fixture.effectsByKey()).hasSize(4).allSatisfy((key, count) -> assertThat(count).isEqualTo(1));
            assertThat(deliveries).as("the first record, released once the hold ended, came back").contains((short) 2);
            assertThat(fixture.deadLetters(0)).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void recordWhoseHandlerOutlivesItsUnrenewedLockIsAppliedOnceWhileAnotherConsumerGetsItAsDuplicate(
            TestDatabase database) {
        try (RunnerFixture fixture = RunnerFixture.create("share-lock", database, 1)) {
            fixture.shareGroup(Duration.ofSeconds(2));
            AtomicBoolean stalled = new AtomicBoolean();
            AtomicInteger handled = new AtomicInteger();
            RecordHandler<String, String> handler = (record, connection) -> {
                handled.incrementAndGet();
                if (stalled.compareAndSet(false, true)) {
                    sleep(Duration.ofSeconds(6)); // the claim row is inserted, its lock of 2 s expires meanwhile
                }
                return RunnerFixture.EFFECT.handle(record, connection);
            };
            // no renewal at all: the handler counts as stuck at once, as one stuck past maxLockRenewal would
            fixture.start(fixture.shareRunner(fixture.dataSource).handler(handler).maxLockRenewal(Duration.ZERO).build());
            fixture.start(fixture.shareRunner(fixture.dataSource).handler(handler).maxLockRenewal(Duration.ZERO).build());
            fixture.send(0, "slow", "v");

            await().atMost(RunnerFixture.WAIT).until(() -> fixture.outcomes(Outcome.PROCESSED) == 1);
            await().atMost(RunnerFixture.WAIT).until(() -> fixture.outcomes(Outcome.DUPLICATE) >= 1);

            // The second holder's lock may expire too while it waits for the first one's claim: then a third delivery
            // comes, DUPLICATE as well. Whatever the number of deliveries, one effect.
            assertThat(fixture.seen).extracting(RunnerFixture.Seen::outcome)
                    .containsOnly(Outcome.PROCESSED, Outcome.DUPLICATE).containsOnlyOnce(Outcome.PROCESSED);
            assertThat(handled.get()).as("handler runs: the second holder waited on the claim, then skipped").isEqualTo(1);
            assertThat(fixture.effectsByKey()).containsExactly(java.util.Map.entry("slow", 1));
            assertThat(fixture.deadLetters(0)).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void aLongHandlerKeepsItsRecordAndThoseWaitingBehindItByRenewingTheirLocks(TestDatabase database) {
        try (RunnerFixture fixture = RunnerFixture.create("share-renew", database, 1)) {
            fixture.shareGroup(Duration.ofSeconds(2));
            AtomicBoolean stalled = new AtomicBoolean();
            AtomicInteger handled = new AtomicInteger();
            RecordHandler<String, String> handler = (record, connection) -> {
                handled.incrementAndGet();
                if (record.key().equals("slow") && stalled.compareAndSet(false, true)) {
                    sleep(Duration.ofSeconds(6)); // three lock durations
                }
                return RunnerFixture.EFFECT.handle(record, connection);
            };
            fixture.start(fixture.shareRunner(fixture.dataSource).handler(handler).build());
            fixture.start(fixture.shareRunner(fixture.dataSource).handler(handler).build());
            fixture.send(0, "slow", "v");
            fixture.send(0, "behind", "v"); // acquired with it (two records a poll), waits behind it

            await().atMost(RunnerFixture.WAIT).until(() -> fixture.outcomes(Outcome.PROCESSED) == 2);
            // longer than a lock: a record whose lock had expired would have been delivered again by now
            await().pollDelay(Duration.ofSeconds(3)).until(() -> true);

            assertThat(fixture.seen).extracting(RunnerFixture.Seen::outcome).containsOnly(Outcome.PROCESSED);
            assertThat(handled.get()).isEqualTo(2);
            assertThat(fixture.counter("dedup.share.lock.renewals")).isGreaterThanOrEqualTo(2);
            assertThat(fixture.effectsByKey()).containsOnly(java.util.Map.entry("slow", 1), java.util.Map.entry("behind", 1));
            assertThat(fixture.deadLetters(0)).isEmpty();
        }
    }

    private static RunnerListener counting(AtomicInteger processed) {
        return new RunnerListener() {
            @Override
            public void afterDatabaseCommit(List<? extends ConsumerRecord<?, ?>> records, List<DedupResult> results) {
                processed.addAndGet((int) results.stream().filter(r -> r.outcome() == Outcome.PROCESSED).count());
            }
        };
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
