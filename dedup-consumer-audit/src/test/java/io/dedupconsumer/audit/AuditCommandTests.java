package io.dedupconsumer.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.kafka.DeadLetter;
import io.dedupconsumer.testkit.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The audit on real consumers, a real broker and the real databases: what an honest consumer leaves audits clean,
 * and each thing a consumer must never do is named.
 */
class AuditCommandTests {

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.audit.AuditFixture#databases")
    void anHonestRunWithResendsAndAConflictAuditsCleanWithTheConflictsDeadLetter(TestDatabase database) throws Exception {
        try (AuditFixture fixture = new AuditFixture("audit_honest", database, 2)) {
            for (int i = 0; i < 12; i++) {
                fixture.send(i % 2, "order-" + i, "amount=" + i);
            }
            for (int i = 0; i < 4; i++) {
                fixture.send(i % 2, "order-" + i, "amount=" + i);
            }
            fixture.send(1, "order-5", "amount=500");
            fixture.consumeWithTheRunner(1);

            AuditFixture.Run run = fixture.auditJson("--progress-interval", "PT0S");

            assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
            assertThat(run.json().get("violations").asLong()).isZero();
            assertThat(run.records(AuditReport.CLAIMED)).isEqualTo(12);
            assertThat(run.records(AuditReport.DUPLICATE)).isEqualTo(4);
            assertThat(run.records(AuditReport.CONFLICT)).isEqualTo(1);
            assertThat(run.records(AuditReport.LOST)).isZero();
            assertThat(run.json().get("claims").get("PROCESSED").asLong()).isEqualTo(12);
            assertThat(run.json().get("lost")).isEmpty();
            JsonNode conflict = run.json().get("conflicts").get(0);
            assertThat(conflict.get("key").asText()).isEqualTo("order-5");
            assertThat(conflict.get("partition").asInt()).isEqualTo(1);
            assertThat(conflict.get("offset").asLong()).isEqualTo(8);
            assertThat(conflict.get("claimedAt").asText()).isEqualTo(fixture.topic + "-1@2");
            assertThat(conflict.get("deadLetter").asText()).startsWith(DeadLetter.topicOf(fixture.topic) + "-");
            assertThat(run.err()).contains("records read");

            AuditFixture.Run human = AuditFixture.run(withCommand("audit", fixture.settings()));
            assertThat(human.exitCode()).isZero();
            assertThat(human.out()).contains("RESULT: OK").contains("order-5").contains("dead-lettered at");
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.audit.AuditFixture#databases")
    void offsetsCommittedBeforeTheDatabaseCommitAreReportedAsLostRecordsByName(TestDatabase database) throws Exception {
        try (AuditFixture fixture = new AuditFixture("audit_unsafe", database, 1)) {
            fixture.sendOrders(10);
            // The unsafe consumer: it commits the offsets of a poll before its database transaction commits, and is
            // killed before that commit: records 0 and 6 to 9 are never applied, their offsets are committed.
            fixture.apply(offset -> offset >= 1 && offset <= 5);
            fixture.commit(Map.of(0, 10L));

            AuditFixture.Run run = fixture.auditJson("--retention", "P7D");

            assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(DedupAuditCommand.VIOLATIONS);
            assertThat(run.keys("lost")).containsExactly("order-0", "order-6", "order-7", "order-8", "order-9");
            assertThat(run.json().get("lost").get(1).get("offset").asLong()).isEqualTo(6);
            assertThat(run.records(AuditReport.CLAIMED)).isEqualTo(5);
            assertThat(run.json().get("purged")).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.audit.AuditFixture#databases")
    void claimsAtOrAfterTheCommittedOffsetAreListedAsNotCommitted(TestDatabase database) throws Exception {
        try (AuditFixture fixture = new AuditFixture("audit_pending", database, 1)) {
            fixture.sendOrders(10);
            fixture.apply(offset -> true);
            fixture.commit(Map.of(0, 7L)); // the consumer stopped after its database commit, before its offset commit

            AuditFixture.Run run = fixture.auditJson();

            assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
            assertThat(run.keys("notCommitted")).containsExactly("order-7", "order-8", "order-9");
            assertThat(run.records(AuditReport.WAITING)).isEqualTo(3);
            assertThat(run.json().get("partitions").get(0).get("claimsNotCommitted").asLong()).isEqualTo(3);
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.audit.AuditFixture#databases")
    void deletedDedupRowsAreReportedAsPurgedWithTheirResendsAndARowMissingAmongClaimedOnesAsLost(TestDatabase database)
            throws Exception {
        try (AuditFixture fixture = new AuditFixture("audit_purged", database, 1)) {
            fixture.sendOrders(10);
            fixture.send(0, "order-1", "amount=1"); // a re-send: its claim is the first record's
            Thread.sleep(20); // every claim is written after every record's timestamp, as on any real consumer
            fixture.apply(offset -> true);
            fixture.commit(Map.of(0, 11L));
            // a purge that outran the topic: the oldest claims are gone while the topic still holds their records;
            // order-6 goes too, but claims older than it remain, so no purge removed it
            fixture.execute("DELETE FROM dedup_record WHERE dedup_key IN ('order-0', 'order-1', 'order-2', 'order-6')");

            AuditFixture.Run run = fixture.auditJson();

            assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(DedupAuditCommand.VIOLATIONS);
            assertThat(run.keys("purged")).containsExactly("order-0", "order-1", "order-2", "order-1");
            assertThat(run.keys("lost")).containsExactly("order-6");
            assertThat(run.json().get("violations").asLong()).isEqualTo(5);
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.audit.AuditFixture#databases")
    void keysAreDerivedByTheLibrarysOwnExtractorsSoAWrongKeySourceReportsLossesInsteadOfPassing(TestDatabase database)
            throws Exception {
        try (AuditFixture fixture = new AuditFixture("audit_json_key", database, 1)) {
            for (int i = 0; i < 5; i++) {
                fixture.send(0, "record-key-" + i, "{\"payment\":{\"txId\":\"tx-" + i + "\"},\"amount\":" + i + "}");
            }
            Deduplicator deduplicator = Deduplicator.builder().consumerName(fixture.group)
                    .dedupKey(DedupKey.jsonField("/payment/txId")).dataSource(fixture.dataSource).build();
            for (ConsumerRecord<byte[], byte[]> record : fixture.records()) {
                deduplicator.process(record, AuditFixture.EFFECT);
            }
            fixture.commit(Map.of(0, 5L));

            AuditFixture.Run right = fixture.auditJsonKeyedBy("json:/payment/txId");
            AuditFixture.Run wrong = fixture.auditJsonKeyedBy("record-key", "--retention", "P1D");

            assertThat(right.exitCode()).as(right.out() + right.err()).isZero();
            assertThat(right.records(AuditReport.CLAIMED)).isEqualTo(5);
            assertThat(wrong.exitCode()).isEqualTo(DedupAuditCommand.VIOLATIONS);
            assertThat(wrong.keys("lost")).containsExactly("record-key-0", "record-key-1", "record-key-2",
                    "record-key-3", "record-key-4");
        }
    }

    @Test
    void aRecordOfAnAbortedTransactionWasNeverDeliveredSoItIsNotLost() throws Exception {
        try (AuditFixture fixture = new AuditFixture("audit_aborted", TestDatabase.postgresql(), 1)) {
            Map<String, Object> transactional = fixture.broker.producerProps();
            transactional.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "audit-aborted-" + fixture.topic);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(transactional)) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(fixture.topic, 0, AuditFixture.bytes("order-aborted"),
                        AuditFixture.bytes("amount=1"))).get();
                producer.abortTransaction();
            }
            fixture.send(0, "order-1", "amount=1");
            fixture.apply(offset -> true);
            fixture.commit(Map.of(0, fixture.endOffsets().values().iterator().next()));

            AuditFixture.Run run = fixture.auditJson();

            assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
            assertThat(run.records(AuditReport.CLAIMED)).isEqualTo(1);
            assertThat(run.records(AuditReport.LOST)).isZero();
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.audit.AuditFixture#databases")
    void aTableMissingFromTheDatabaseMeansTheAuditCouldNotRun(TestDatabase database) throws Exception {
        try (AuditFixture fixture = new AuditFixture("audit_notable", database, 1)) {
            fixture.send(0, "order-0", "amount=0");

            AuditFixture.Run run = AuditFixture.run(withCommand("audit", fixture.settings(), "--table", "no_such_table"));

            assertThat(run.exitCode()).isEqualTo(DedupAuditCommand.BROKEN);
            assertThat(run.err()).contains("could not run").containsIgnoringCase("no_such_table");
        }
    }

    @ParameterizedTest
    @MethodSource("wrongCommandLines")
    void aWrongCommandLineIsAUsageErrorBeforeAnythingConnects(List<String> wrong, String saying) {
        List<String> args = new ArrayList<>(List.of("audit", "--topic", "t", "--group", "g", "--key", "record-key",
                "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/none", "--bootstrap-servers", "127.0.0.1:1"));
        args.addAll(wrong);

        AuditFixture.Run run = AuditFixture.run(args.toArray(String[]::new));

        assertThat(run.exitCode()).isEqualTo(DedupAuditCommand.USAGE);
        assertThat(run.err()).contains(saying);
    }

    static Stream<Arguments> wrongCommandLines() {
        return Stream.of(
                Arguments.of(List.of("--table", "dedup_record; DROP TABLE x"),
                        "is not a valid SQL identifier"),
                Arguments.of(List.of("--key", "payload"), "is not a key source"),
                Arguments.of(List.of("--jdbc-password-env", "DEDUP_AUDIT_UNSET_VARIABLE"),
                        "is not set"),
                Arguments.of(List.of("--jdbc-password", "secret"), "Unknown option"));
    }

    private static String[] withCommand(String command, List<String> settings, String... extra) {
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(settings);
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }
}
