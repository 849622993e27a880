package io.dedupconsumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dedupconsumer.testkit.TestDatabase;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A second runner joins the group: partitions move from the first runner (which commits what it has done on
 * revocation and forgets them) to the second, and across both every record is applied exactly once.
 */
class RunnerRebalanceTests {

    private static final int PARTITIONS = 4;
    private static final int PER_WAVE = 40;

    @ParameterizedTest(name = "group protocol {0}")
    @MethodSource("io.dedupconsumer.testkit.KafkaBroker#groupProtocols")
    void secondRunnerJoiningTheGroupTakesOverPartitionsWithoutLossOrDoubles(String groupProtocol) throws Exception {
        try (RunnerFixture fixture = RunnerFixture.create("rebalance", TestDatabase.mariadb(), PARTITIONS);
                Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        fixture.broker.bootstrapServers()))) {
            Set<String> keysOfFirst = ConcurrentHashMap.newKeySet();
            Set<String> keysOfSecond = ConcurrentHashMap.newKeySet();
            // Members learn of a rebalance from their heartbeat; a short interval keeps the hand-over quick.
            fixture.start(protocol(fixture.runner(ProcessingMode.BATCH), groupProtocol)
                    .handler((record, connection) -> {
                keysOfFirst.add(record.key());
                return RunnerFixture.EFFECT.handle(record, connection);
            }).build());
            sendWave(fixture, "before");
            fixture.awaitAllCommitted();

            fixture.start(protocol(fixture.runner(ProcessingMode.RECORD), groupProtocol)
                    .handler((record, connection) -> {
                keysOfSecond.add(record.key());
                return RunnerFixture.EFFECT.handle(record, connection);
            }).build());
            await().atMost(RunnerFixture.WAIT).until(() -> {
                ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(fixture.group))
                        .describedGroups().get(fixture.group).get(10, TimeUnit.SECONDS);
                return group.groupState() == GroupState.STABLE && group.members().size() == 2
                        && group.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty());
            });
            sendWave(fixture, "after");
            fixture.awaitAllCommitted();

            assertThat(fixture.effectsByKey()).hasSize(2 * PER_WAVE)
                    .allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
            assertThat(fixture.dedupRows()).isEqualTo(2 * PER_WAVE);
            assertThat(keysOfFirst).anyMatch(key -> key.startsWith("after-"));
            assertThat(keysOfSecond).isNotEmpty().allMatch(key -> key.startsWith("after-"));
            assertThat(fixture.brokerCommitted()).isEqualTo(fixture.endOffsets());
        }
    }

    /**
     * The classic protocol's heartbeat is the client's (short here, for a quick hand-over); under KIP-848's consumer
     * protocol it is the broker's, and the client must not set it.
     */
    private static DedupConsumerRunner.Builder<String, String> protocol(DedupConsumerRunner.Builder<String, String> runner,
            String groupProtocol) {
        return groupProtocol.equals("consumer") ? runner.consumerProperty("group.protocol", "consumer")
                : runner.consumerProperty("heartbeat.interval.ms", 300);
    }

    private static void sendWave(RunnerFixture fixture, String wave) {
        for (int i = 0; i < PER_WAVE; i++) {
            fixture.send(i % PARTITIONS, wave + "-" + i, "v");
        }
    }
}
