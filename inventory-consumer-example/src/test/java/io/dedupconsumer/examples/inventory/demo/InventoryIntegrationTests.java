package io.dedupconsumer.examples.inventory.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.examples.inventory.oracle.Verification;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The inventory service on the real broker and a real database, several instances in one consumer group: two start,
 * a third joins while the topic is being consumed and one leaves before the end (two rebalances under load), the
 * topic is full of re-sends, conflicts and bad events, and then a new group replays it from the beginning. The stock,
 * the ledger and the dedup table must equal the model computed from the unique events. With the record listener and
 * with the batch listener, whose conditional stock updates are decided by the update counts of a JDBC batch, on
 * MariaDB (MySQL Connector/J) and on PostgreSQL.
 */
class InventoryIntegrationTests {

    private static final Duration PASS_TIMEOUT = Duration.ofMinutes(3);

    /** Each database with each listener: the record listener and the batch listener of the throughput mode. */
    static List<Arguments> databasesAndListeners() {
        List<Arguments> combinations = new ArrayList<>();
        for (TestDatabase database : List.of(TestDatabase.mariadb(), TestDatabase.postgresql())) {
            for (String listener : List.of("record", "batch")) {
                combinations.add(Arguments.of(database, listener));
            }
        }
        return combinations;
    }

    @ParameterizedTest(name = "{0}, {1} listener")
    @MethodSource("databasesAndListeners")
    void instancesJoiningAndLeavingUnderDuplicatesAndAReplayLeaveStockAndLedgerEqualToTheModel(TestDatabase database,
            String listener) {
        KafkaBroker broker = KafkaBroker.shared();
        String runId = "it" + UUID.randomUUID().toString().substring(0, 6);
        String topic = "stock-events-" + runId;
        String consumerName = "inventory-it-" + runId;
        DemoOptions options = DemoOptions.parse("--events=800", "--skus=6", "--duplicates=0.3", "--conflicts=8",
                "--bad=9", "--seed=" + runId.hashCode());
        Workload workload = Workload.generate(options, runId);
        Expectation expected = Expectation.of(workload);
        String databaseName = database.createDatabase("inventory");
        List<String> common = List.of(
                "--spring.kafka.bootstrap-servers=" + broker.bootstrapServers(),
                "--spring.datasource.url=" + database.jdbcUrl(databaseName),
                "--spring.datasource.username=" + database.user(),
                "--spring.datasource.password=" + database.password(),
                "--inventory.topic=" + topic,
                "--inventory.partitions=6",
                "--inventory.concurrency=2",
                "--dedup.consumer-name=" + consumerName,
                "--dedup.retry.initial-interval=100ms",
                "--inventory.listener=" + listener);

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            Topics topics = new Topics(admin);
            topics.create(List.of(topic, topic + "-dlt"), 6);
            String live = consumerName + "-live";
            Map<Outcome, Long> liveOutcomes = new EnumMap<>(Outcome.class);
            List<InventoryInstance> instances = new ArrayList<>();
            long records;
            try {
                instances.add(InventoryInstance.start(args(common, live, "a")));
                instances.add(InventoryInstance.start(args(common, live, "b")));
                seed(instances.get(0), workload);
                WorkloadProducer.send(broker.bootstrapServers(), topic, workload);
                records = topics.endOffsets(topic);
                assertThat(records).isEqualTo(workload.records().size());

                awaitCommitted(topics, live, topic, records / 4);
                instances.add(InventoryInstance.start(args(common, live, "c"))); // scale out: a rebalance under load

                awaitCommitted(topics, live, topic, records * 3 / 5);
                InventoryInstance leaving = instances.remove(1); // scale in: another rebalance
                leaving.close();
                add(liveOutcomes, leaving.outcomes(consumerName)); // after close: with the records it finished leaving

                awaitCommitted(topics, live, topic, records);
            } finally {
                instances.forEach(InventoryInstance::close);
            }
            instances.forEach(instance -> add(liveOutcomes, instance.outcomes(consumerName)));
            long deadLetteredLive = topics.endOffsets(topic + "-dlt");
            Snapshot.Pass livePass = new Snapshot.Pass(topics.committed(live, topic), liveOutcomes, deadLetteredLive);

            String replayGroup = consumerName + "-replay";
            try (InventoryInstance replay = InventoryInstance.start(args(common, replayGroup, "replay"))) {
                awaitCommitted(topics, replayGroup, topic, records);
                Snapshot.Pass replayPass = new Snapshot.Pass(topics.committed(replayGroup, topic),
                        replay.outcomes(consumerName), topics.endOffsets(topic + "-dlt") - deadLetteredLive);
                Snapshot actual = Snapshot.of(Snapshot.Database.read(replay.jdbc(), runId, consumerName), records,
                        livePass, replayPass, DeadLetterCensus.read(broker.bootstrapServers(), topic + "-dlt"));

                Verification verification = Verifier.verify(expected, actual, workload.initialStock());

                assertThat(verification.verdict().violations()).isEmpty();
                assertThat(actual.stock()).isEqualTo(expected.stock());
                assertThat(actual.doubledEvents()).isEmpty();
                assertThat(actual.claims().get(Outcome.PROCESSED) + actual.claims().get(Outcome.REJECTED))
                        .isEqualTo(expected.claims());
                assertThat(replayPass.outcomes().get(Outcome.PROCESSED)).isZero();
                assertThat(replayPass.outcomes().get(Outcome.REJECTED)).isZero();
            }
        }
    }

    private static List<String> args(List<String> common, String group, String instance) {
        List<String> args = new ArrayList<>(common);
        args.add("--spring.kafka.consumer.group-id=" + group);
        args.add("--spring.kafka.client-id=" + group + "-" + instance);
        return args;
    }

    private static void seed(InventoryInstance instance, Workload workload) {
        for (String sku : workload.skus()) {
            instance.jdbc().update("INSERT INTO stock (sku, available) VALUES (?, ?)", sku, workload.initialStock());
        }
    }

    private static void awaitCommitted(Topics topics, String group, String topic, long records) {
        await().atMost(PASS_TIMEOUT).pollInterval(Duration.ofMillis(200))
                .until(() -> topics.committed(group, topic) >= records);
    }

    private static void add(Map<Outcome, Long> total, Map<Outcome, Long> more) {
        more.forEach((outcome, count) -> total.merge(outcome, count, Long::sum));
    }
}
