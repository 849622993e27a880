package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.testkit.ChildJvm;
import io.dedupconsumer.testkit.TestDatabase;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A consumer process killed between its database commit and its offset commit, then a new one in its place: the
 * redelivered records come out DUPLICATE, nothing is applied twice and nothing is lost.
 */
class RunnerCrashTests {

    private static final int RECORDS = 20;

    /** Both processes: one static member, so the restarted one takes the dead one's place without a session timeout. */
    static Map<String, Object> consumerProperties(String bootstrapServers, String group, String instanceId) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5);
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
        return props;
    }

    @ParameterizedTest
    @EnumSource(ProcessingMode.class)
    void consumerKilledAfterTheDatabaseCommitAndBeforeTheOffsetCommitLosesNothingAndDoublesNothing(ProcessingMode mode) {
        TestDatabase mariadb = TestDatabase.mariadb();
        try (RunnerFixture fixture = RunnerFixture.create("crash", mariadb, 1)) {
            for (int i = 0; i < RECORDS; i++) {
                fixture.send(0, "event-" + i, "payload-" + i);
            }
            String instance = "member-" + fixture.topic;
            try (ChildJvm child = ChildJvm.start(HaltingRunnerMain.class, Map.of(), fixture.broker.bootstrapServers(),
                    fixture.topic, fixture.group, instance, mariadb.jdbcUrl(fixture.databaseName), mariadb.user(),
                    mariadb.password(), mode.name())) {
                assertThat(child.waitFor(Duration.ofSeconds(60))).as("child exited").isTrue();
                assertThat(child.exitValue()).as(child.output()).isEqualTo(HaltingRunnerMain.HALTED);
                assertThat(child.output()).doesNotContain("BUG");
            }
            long committedByTheDeadConsumer = fixture.dedupRows();
            assertThat(committedByTheDeadConsumer).isBetween(1L, 5L);
            assertThat(fixture.effects()).isEqualTo(committedByTheDeadConsumer);
            assertThat(fixture.brokerCommitted()).as("no offset committed before the crash").isEmpty();

            fixture.start(fixture.runner(mode)
                    .consumerProperties(consumerProperties(fixture.broker.bootstrapServers(), fixture.group, instance))
                    .build());
            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey()).hasSize(RECORDS).allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
            assertThat(fixture.outcomes(Outcome.DUPLICATE)).isEqualTo(committedByTheDeadConsumer);
            assertThat(fixture.outcomes(Outcome.PROCESSED)).isEqualTo(RECORDS - committedByTheDeadConsumer);
            assertThat(fixture.seen).filteredOn(s -> s.outcome() == Outcome.DUPLICATE).extracting(RunnerFixture.Seen::offset)
                    .isEqualTo(List.of(0L, 1L, 2L, 3L, 4L).subList(0, (int) committedByTheDeadConsumer));
            assertThat(fixture.brokerCommitted()).isEqualTo(fixture.endOffsets());
        }
    }
}
