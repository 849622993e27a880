package io.dedupconsumer.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.testkit.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code purge} runs the library's retention against a real topic's retention: a dry run (or a run without
 * {@code --yes}) counts and deletes nothing, a purge deletes exactly the claims older than the window (and the audit
 * then names the records the topic still holds as purged), and a window shorter than the topic's {@code retention.ms}
 * is refused before anything is deleted.
 *
 * <p>The scene, on one partition: {@code order-0..2} were written four hours ago and claimed three hours ago (the
 * claims are aged in the table, the records carry their old producer timestamps); {@code order-3..9} are recent, and
 * {@code order-1} was rejected. The topic keeps records for an hour; its segment, holding recent records too, is not
 * deleted yet, so the old records are still there, as in any topic whose segments roll slowly.
 */
class PurgeCommandTests {

    private static final Duration TOPIC_RETENTION = Duration.ofHours(1);

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.audit.AuditFixture#databases")
    void aDryRunAndARunWithoutYesCountTheClaimsOlderThanTheWindowByOutcomeAndDeleteNothing(TestDatabase database)
            throws Exception {
        try (AuditFixture fixture = scene("purge_dry", database)) {
            AuditFixture.Run dry = purge(fixture, "--older-than", "PT2H", "--dry-run", "--json");

            assertThat(dry.exitCode()).as(dry.out() + dry.err()).isZero();
            JsonNode plan = AuditCommand.mapper().readTree(dry.out());
            assertThat(plan.get("due").asLong()).isEqualTo(3);
            assertThat(plan.get("dueByOutcome").get("PROCESSED").asLong()).isEqualTo(2);
            assertThat(plan.get("dueByOutcome").get("REJECTED").asLong()).isEqualTo(1);
            assertThat(plan.get("dueByConsumer").get(fixture.group).asLong()).isEqualTo(3);
            Instant threeHoursAgo = Instant.now().minus(Duration.ofHours(3));
            assertThat(Instant.parse(plan.get("oldestDue").asText()))
                    .isBetween(threeHoursAgo.minus(Duration.ofMinutes(2)), threeHoursAgo);
            assertThat(Instant.parse(plan.get("newestDue").asText()))
                    .isBetween(threeHoursAgo.minus(Duration.ofMinutes(2)), threeHoursAgo);
            assertThat(plan.get("topics").get(0).get("coverage").asText()).isEqualTo("MARGINAL");
            assertThat(plan.get("deleted").isNull()).isTrue();
            assertThat(claimedKeys(fixture)).hasSize(10);

            AuditFixture.Run unconfirmed = purge(fixture, "--older-than", "PT2H");

            assertThat(unconfirmed.exitCode()).as(unconfirmed.out() + unconfirmed.err()).isZero();
            assertThat(unconfirmed.out()).contains("claims processed before").contains(": 3")
                    .contains("nothing deleted: add --yes");
            assertThat(claimedKeys(fixture)).hasSize(10);
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.audit.AuditFixture#databases")
    void aPurgeDeletesExactlyTheClaimsOlderThanTheWindowAndTheAuditThenReportsTheirRecordsAsPurged(
            TestDatabase database) throws Exception {
        try (AuditFixture fixture = scene("purge_yes", database)) {
            AuditFixture.Run run = purge(fixture, "--older-than", "PT2H", "--yes", "--batch-size", "2", "--json");

            assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
            JsonNode deleted = AuditCommand.mapper().readTree(run.out()).get("deleted");
            assertThat(deleted.get("claims").asLong()).isEqualTo(3);
            assertThat(deleted.get("batches").asInt()).isEqualTo(2);
            assertThat(deleted.get("complete").asBoolean()).isTrue();
            assertThat(claimedKeys(fixture)).containsExactlyInAnyOrder("order-3", "order-4", "order-5", "order-6",
                    "order-7", "order-8", "order-9");

            AuditFixture.Run audit = fixture.auditJson();

            assertThat(audit.exitCode()).as(audit.out() + audit.err()).isEqualTo(DedupAuditCommand.VIOLATIONS);
            assertThat(audit.keys("purged")).containsExactly("order-0", "order-1", "order-2");
            assertThat(audit.keys("lost")).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.audit.AuditFixture#databases")
    void aWindowShorterThanTheTopicsRetentionIsRefusedAndDeletesNothing(TestDatabase database) throws Exception {
        try (AuditFixture fixture = scene("purge_short", database)) {
            AuditFixture.Run run = purge(fixture, "--older-than", "PT30M", "--yes");

            assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(DedupAuditCommand.USAGE);
            assertThat(run.err()).contains("refused, nothing deleted")
                    .contains("shorter than the retention of topic " + fixture.topic)
                    .contains("give --older-than PT");
            assertThat(claimedKeys(fixture)).hasSize(10);
        }
    }

    /** The scene of the class comment, on a fresh topic and database. */
    private static AuditFixture scene(String name, TestDatabase database) throws Exception {
        AuditFixture fixture = new AuditFixture(name, database, 1);
        Instant fourHoursAgo = Instant.now().minus(Duration.ofHours(4));
        for (int i = 0; i < 3; i++) {
            fixture.send(0, "order-" + i, "amount=" + i, fourHoursAgo);
        }
        for (int i = 3; i < 10; i++) {
            fixture.send(0, "order-" + i, "amount=" + i);
        }
        Thread.sleep(20); // every claim is written after every record's timestamp, as on any real consumer
        var deduplicator = fixture.deduplicator();
        for (var record : fixture.records()) {
            deduplicator.process(record, (r, connection) -> "order-1".equals(new String(r.key(), StandardCharsets.UTF_8))
                    ? HandlerResult.rejected("out of stock")
                    : AuditFixture.EFFECT.handle(r, connection));
        }
        fixture.commit(Map.of(0, 10L));
        fixture.execute(database.name().startsWith("postgresql")
                ? "UPDATE dedup_record SET processed_at = processed_at - INTERVAL '3 hours' "
                        + "WHERE dedup_key IN ('order-0', 'order-1', 'order-2')"
                : "UPDATE dedup_record SET processed_at = processed_at - INTERVAL 3 HOUR "
                        + "WHERE dedup_key IN ('order-0', 'order-1', 'order-2')");
        setRetention(fixture, TOPIC_RETENTION);
        return fixture;
    }

    private static void setRetention(AuditFixture fixture, Duration retention) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                fixture.broker.bootstrapServers()))) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, fixture.topic),
                    List.of(new AlterConfigOp(new ConfigEntry(TopicConfig.RETENTION_MS_CONFIG,
                            Long.toString(retention.toMillis())), AlterConfigOp.OpType.SET))))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    private static List<String> claimedKeys(AuditFixture fixture) throws SQLException {
        List<String> keys = new ArrayList<>();
        try (Connection c = fixture.dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT dedup_key FROM dedup_record")) {
            while (rs.next()) {
                keys.add(rs.getString(1));
            }
        }
        return keys;
    }

    private static AuditFixture.Run purge(AuditFixture fixture, String... extra) {
        List<String> args = new ArrayList<>(List.of("purge"));
        args.addAll(fixture.settings());
        args.addAll(List.of(extra));
        return AuditFixture.run(args.toArray(new String[0]));
    }
}
