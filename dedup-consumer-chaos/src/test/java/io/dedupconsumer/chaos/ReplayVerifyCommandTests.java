package io.dedupconsumer.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.examples.inventory.StockEvent;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/** The replay/verify command, on the embedded defaults and on a real broker with MariaDB. */
class ReplayVerifyCommandTests {

    @Test
    void aSelfContainedRunOnTheEmbeddedDefaultsVerifiesEveryInvariant() {
        Run run = run("--generate", "400", "--skus", "6", "--initial-stock", "40");

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("in-process KRaft broker", "H2 in memory", "[1/4] producing 400 records",
                "events the replay decided anew", "SKUs whose stock equals the model",
                "partitions with every effect below the committed offset", "VERDICT: PASSED");
    }

    @Test
    void badOptionsAreRefusedWithExitCodeTwoBeforeTouchingAnything() {
        Run resetWithoutYes = run("--bootstrap-servers", "127.0.0.1:1", "--reset-group", "inventory-service");
        Run badTime = run("--bootstrap-servers", "127.0.0.1:1", "--from-timestamp", "yesterday");
        Run both = run("--bootstrap-servers", "127.0.0.1:1", "--group", "a", "--reset-group", "b", "--yes");

        assertThat(resetWithoutYes.exitCode()).isEqualTo(ReplayVerifyCommand.USAGE);
        assertThat(resetWithoutYes.output()).contains("add --yes to confirm");
        assertThat(badTime.exitCode()).isEqualTo(ReplayVerifyCommand.USAGE);
        assertThat(badTime.output()).contains("is not an ISO-8601 instant");
        assertThat(both.exitCode()).isEqualTo(ReplayVerifyCommand.USAGE);
    }

    /** One workload on the real broker and MariaDB, then replays of it, in order (the last ones damage it). */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class OnARealBrokerAndMariaDb {

        private final String topic = "stock-events-" + UUID.randomUUID().toString().substring(0, 8);
        private final String consumerName = "inventory-" + UUID.randomUUID().toString().substring(0, 8);
        private final String firstGroup = consumerName + "-first-replay";
        private String servers;
        private String jdbcUrl;
        private DataSource dataSource;

        @BeforeAll
        void generateAndConsumeAWorkload() {
            servers = KafkaBroker.shared().bootstrapServers();
            TestDatabase mariadb = TestDatabase.mariadb();
            String database = mariadb.createDatabase("replay_verify");
            jdbcUrl = mariadb.jdbcUrl(database);
            dataSource = mariadb.dataSource(database);

            Run run = command("--generate", "600", "--group", firstGroup);

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(run.output()).contains("VERDICT: PASSED");
        }

        @AfterAll
        void closeDataSource() throws Exception {
            ((AutoCloseable) dataSource).close();
        }

        @Test
        @Order(1)
        void aReplayWithANewGroupFindsEveryEventClaimedAndChangesNothing() {
            Run run = command("--expect-no-change", "--initial-stock", "100");

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(run.output()).contains("with new group " + consumerName + "-replay-", "events the replay decided anew",
                    "SKUs whose stock = initial + ledger deltas", "VERDICT: PASSED");
        }

        @Test
        @Order(2)
        void resettingAnExistingGroupNeedsYes() {
            Run refused = command("--reset-group", firstGroup);
            Run reusedAsNew = command("--group", firstGroup);

            assertThat(refused.exitCode()).isEqualTo(ReplayVerifyCommand.USAGE);
            assertThat(refused.output()).contains("--reset-group " + firstGroup + " moves that group's committed offsets");
            assertThat(reusedAsNew.exitCode()).isEqualTo(ReplayVerifyCommand.USAGE);
            assertThat(reusedAsNew.output()).contains("group " + firstGroup + " already exists");
        }

        @Test
        @Order(3)
        void aConfirmedResetReplaysTheGroupFromATimestamp() {
            Run run = command("--reset-group", firstGroup, "--yes", "--from-timestamp", Instant.now().toString());

            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(run.output()).contains("replaying 0 records", "with reset group " + firstGroup, "VERDICT: PASSED");
        }

        @Test
        @Order(4)
        void aRecordNobodyConsumedIsReportedLost() throws Exception {
            String eventId = "never-consumed-" + UUID.randomUUID();
            String sku = anySku();
            send(sku, StockEvent.restock(eventId, sku, 5, Instant.now()).toJson());

            Run run = command("--no-replay", "--check-group", firstGroup);

            assertThat(run.exitCode()).as(run.output()).isEqualTo(ReplayVerifyCommand.VIOLATED);
            assertThat(run.output()).contains("VIOLATION: an event was neither applied, refused nor dead-lettered: LOST",
                    eventId + " (should be applied, +5 " + sku + ") has no dedup row and no dead letter",
                    "VERDICT: FAILED");
        }

        @Test
        @Order(5)
        void aReplayAfterLostClaimsAppliesEventsTwiceAndTheReportNamesThem() throws SQLException {
            List<String> forgotten = forgetThreeAppliedDeductions();

            Run run = command("--initial-stock", "100");

            assertThat(run.exitCode()).as(run.output()).isEqualTo(ReplayVerifyCommand.VIOLATED);
            assertThat(run.output()).contains("VIOLATION: an event's effect was applied more than once",
                    "SKUs whose stock equals the model", "VERDICT: FAILED");
            forgotten.forEach(eventId -> assertThat(run.output()).contains("event " + eventId + " at "));
        }

        private Run command(String... args) {
            List<String> all = new ArrayList<>(List.of("--bootstrap-servers", servers, "--jdbc-url", jdbcUrl,
                    "--db-user", TestDatabase.mariadb().user(), "--db-password", TestDatabase.mariadb().password(),
                    "--topic", topic, "--consumer-name", consumerName, "--progress-every", "PT5S"));
            all.addAll(List.of(args));
            return run(all.toArray(String[]::new));
        }

        private String anySku() throws SQLException {
            try (Connection connection = dataSource.getConnection();
                    PreparedStatement select = connection.prepareStatement("SELECT sku FROM stock ORDER BY sku");
                    ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getString(1);
            }
        }

        /** Deletes the dedup rows of three applied deductions: what a purge too eager, or a restore, would do. */
        private List<String> forgetThreeAppliedDeductions() throws SQLException {
            List<String> eventIds = new ArrayList<>();
            try (Connection connection = dataSource.getConnection()) {
                try (PreparedStatement select = connection.prepareStatement("SELECT event_id FROM stock_ledger"
                        + " WHERE entry_type = 'DEDUCT' AND result = 'APPLIED' ORDER BY id LIMIT 3");
                        ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        eventIds.add(rows.getString(1));
                    }
                }
                try (PreparedStatement delete = connection.prepareStatement(
                        "DELETE FROM dedup_record WHERE consumer_name = ? AND dedup_key = ?")) {
                    for (String eventId : eventIds) {
                        delete.setString(1, consumerName);
                        delete.setBytes(2, eventId.getBytes(StandardCharsets.UTF_8));
                        assertThat(delete.executeUpdate()).isOne();
                    }
                }
            }
            return eventIds;
        }

        private void send(String key, String value) throws Exception {
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers), new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static Run run(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exitCode;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            exitCode = ReplayVerifyCommand.run(out, args);
        }
        String output = bytes.toString(StandardCharsets.UTF_8);
        System.out.println(output);
        return new Run(exitCode, output);
    }

    private record Run(int exitCode, String output) {
    }
}
