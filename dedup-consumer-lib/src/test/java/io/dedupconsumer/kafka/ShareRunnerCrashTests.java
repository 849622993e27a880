package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.testkit.ChildJvm;
import io.dedupconsumer.testkit.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A share consumer process killed between its database commit and the record's acceptance: after the lock expires the
 * record comes back to another consumer, which finds it DUPLICATE; nothing is applied twice and nothing is lost.
 */
class ShareRunnerCrashTests {

    private static final int RECORDS = 10;

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void shareConsumerKilledAfterTheDatabaseCommitAndBeforeTheAcceptanceLosesNothingAndDoublesNothing(
            TestDatabase database) {
        try (RunnerFixture fixture = RunnerFixture.create("share-crash", database, 1)) {
            fixture.shareGroup(Duration.ofSeconds(3));
            for (int i = 0; i < RECORDS; i++) {
                fixture.send(0, "event-" + i, "payload-" + i);
            }
            try (ChildJvm child = ChildJvm.start(HaltingShareRunnerMain.class, Map.of(),
                    fixture.broker.bootstrapServers(), fixture.topic, fixture.group,
                    database.jdbcUrl(fixture.databaseName), database.user(), database.password())) {
                assertThat(child.waitFor(Duration.ofSeconds(60))).as("child exited").isTrue();
                assertThat(child.exitValue()).as(child.output()).isEqualTo(HaltingRunnerMain.HALTED);
            }
            assertThat(fixture.dedupRows()).as("committed by the dead consumer").isEqualTo(1);
            assertThat(fixture.effects()).isEqualTo(1);

            List<Short> duplicateDeliveries = new CopyOnWriteArrayList<>();
            fixture.start(fixture.shareRunner(fixture.dataSource)
                    .listener(fixture.recorderAnd(new RunnerListener() {
                        @Override
                        public void afterDatabaseCommit(List<? extends ConsumerRecord<?, ?>> records,
                                List<DedupResult> results) {
                            if (results.get(0).outcome() == Outcome.DUPLICATE) {
                                duplicateDeliveries.add(records.get(0).deliveryCount().orElseThrow());
                            }
                        }
                    })).build());

            await().atMost(RunnerFixture.WAIT).until(() -> fixture.seen.size() >= RECORDS);

            assertThat(fixture.effectsByKey()).hasSize(RECORDS).allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
            assertThat(fixture.outcomes(Outcome.DUPLICATE)).isEqualTo(1);
            assertThat(fixture.outcomes(Outcome.PROCESSED)).isEqualTo(RECORDS - 1);
            assertThat(duplicateDeliveries).as("the killed consumer's record, delivered again after its lock expired")
                    .containsExactly((short) 2);
            assertThat(fixture.deadLetters(0)).isEmpty();
        }
    }
}
