package io.dedupconsumer.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dedupconsumer.kafka.DedupConsumerRunner;
import io.dedupconsumer.testkit.TestDatabase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code replay} under the library's own runner: it refuses while the group has members, shows its plan without
 * {@code --yes}, and a replay proves with {@code audit --since-replay} that nothing was applied anew, or names what
 * was once the dedup rows are gone.
 */
class ReplayCommandTests {

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.audit.AuditFixture#databases")
    void aReplayUnderTheRunnerAppliesNothingAnewUntilDedupRowsAreDeleted(TestDatabase database) throws Exception {
        try (AuditFixture fixture = new AuditFixture("replay", database, 2)) {
            for (int i = 0; i < 10; i++) {
                fixture.send(i % 2, "order-" + i, "amount=" + i);
            }
            Map<TopicPartition, Long> end = fixture.endOffsets();
            try (DedupConsumerRunner<byte[], byte[]> running = fixture.startRunner()) {
                await().atMost(AuditFixture.WAIT)
                        .until(() -> fixture.broker.committedOffsets(fixture.group, fixture.topic).equals(end));

                AuditFixture.Run refused = replay(fixture, "--to-earliest", "--yes");

                assertThat(refused.exitCode()).isEqualTo(DedupAuditCommand.BROKEN);
                assertThat(refused.err()).contains("refusing to replay").contains("active member");
            }
            assertThat(fixture.broker.committedOffsets(fixture.group, fixture.topic)).isEqualTo(end);

            AuditFixture.Run plan = replay(fixture, "--to-earliest");
            assertThat(plan.exitCode()).isZero();
            assertThat(plan.out()).contains("nothing changed");
            assertThat(fixture.broker.committedOffsets(fixture.group, fixture.topic)).isEqualTo(end);

            Instant firstReplay = Instant.now();
            assertThat(replay(fixture, "--to-earliest", "--yes").exitCode()).isZero();
            assertThat(fixture.broker.committedOffsets(fixture.group, fixture.topic))
                    .isEqualTo(Map.of(new TopicPartition(fixture.topic, 0), 0L, new TopicPartition(fixture.topic, 1), 0L));
            fixture.consumeWithTheRunner(0);

            AuditFixture.Run clean = fixture.auditJson("--since-replay", firstReplay.toString());
            assertThat(clean.exitCode()).as(clean.out() + clean.err()).isZero();
            assertThat(clean.json().get("appliedAnew").asLong()).isZero();
            assertThat(clean.records(AuditReport.CLAIMED)).isEqualTo(10);
            assertThat(fixture.effects("order-3")).isEqualTo(1);
            // the boundary is exact to the millisecond the table keeps, on both databases
            Instant newest = Instant.parse(clean.json().get("newestClaim").asText());
            assertThat(fixture.auditJson("--since-replay", newest.toString()).json().get("appliedAnew").asLong())
                    .isPositive();
            assertThat(fixture.auditJson("--since-replay", newest.plusMillis(1).toString()).json().get("appliedAnew")
                    .asLong()).isZero();

            fixture.execute("DELETE FROM dedup_record WHERE dedup_key IN ('order-3', 'order-4')");
            Thread.sleep(5); // the replay's start is after the first pass's last claim, by the database's clock too
            Instant secondReplay = Instant.now();
            assertThat(replay(fixture, "--to-time", "1970-01-01T00:00:00Z", "--yes").exitCode()).isZero();
            fixture.consumeWithTheRunner(0);

            AuditFixture.Run applied = fixture.auditJson("--since-replay", secondReplay.toString());
            assertThat(applied.exitCode()).isEqualTo(DedupAuditCommand.VIOLATIONS);
            assertThat(applied.json().get("appliedAnew").asLong()).isEqualTo(2);
            assertThat(applied.keys("appliedSinceReplay")).containsExactlyInAnyOrder("order-3", "order-4");
            assertThat(fixture.effects("order-3")).isEqualTo(2);
        }
    }

    private static AuditFixture.Run replay(AuditFixture fixture, String... extra) {
        List<String> args = new ArrayList<>(List.of("replay"));
        args.addAll(fixture.kafkaSettings());
        args.addAll(List.of(extra));
        return AuditFixture.run(args.toArray(String[]::new));
    }
}
