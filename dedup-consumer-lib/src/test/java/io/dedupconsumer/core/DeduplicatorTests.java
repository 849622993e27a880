package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.Databases;
import io.dedupconsumer.Effects;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransactionRollbackException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The protocol: claim and side effect in one transaction, per record and per batch, against every supported database.
 * The side effect is a row in {@code effect}, which has no unique index, so a doubled effect shows as two rows.
 */
class DeduplicatorTests {

    @RegisterExtension
    final Databases databases = new Databases();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private HikariDataSource dataSource;
    private long nextOffset;



    private Deduplicator deduplicator(TestDatabase database) throws SQLException {
        dataSource = databases.migrated(database, "protocol");
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE effect (event_key VARCHAR(300) NOT NULL, payload VARCHAR(300) NOT NULL)");
        }
        return Deduplicator.builder()
                .consumerName("orders-service")
                .dataSource(dataSource)
                .dedupKey(DedupKey.recordKey())
                .meterRegistry(meters)
                .build();
    }

    private final RecordHandler<String, String> insertEffect = (record, connection) -> {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO effect VALUES (?, ?)")) {
            insert.setString(1, record.key());
            insert.setString(2, record.value());
            insert.executeUpdate();
        }
        return HandlerResult.processed();
    };

    private ConsumerRecord<String, String> record(String key, String value) {
        return new ConsumerRecord<>("orders", 0, nextOffset++, key, value);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aRedeliveredRecordIsADuplicateAndItsEffectHappensOnce(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database);

        DedupResult first = dedup.process(record("order-1", "paid 10"), insertEffect);
        DedupResult again = dedup.process(record("order-1", "paid 10"), insertEffect);

        assertThat(first.outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(again.outcome()).isEqualTo(Outcome.DUPLICATE);
        assertThat(again.firstOutcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(again.firstDelivery()).isEqualTo("orders-0@0");
        assertThat(effects()).containsExactly(Map.entry("order-1", 1));
        assertThat(meters.get("dedup.records").tag("outcome", "DUPLICATE").counter().count()).isEqualTo(1.0);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void anotherPayloadUnderAProcessedKeyIsAConflictAndIsNotApplied(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database);
        dedup.process(record("order-1", "paid 10"), insertEffect);

        DedupResult conflict = dedup.process(record("order-1", "paid 99"), insertEffect);

        assertThat(conflict.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(conflict.reason()).contains("orders-0@0").contains("different payload");
        assertThat(effects()).containsExactly(Map.entry("order-1", 1));
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aFailingHandlerRollsBackItsClaimSoTheRetryAppliesTheEffectOnce(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database);
        RecordHandler<String, String> writesThenFails = (record, connection) -> {
            insertEffect.handle(record, connection);
            throw new IllegalStateException("downstream refused");
        };

        assertThatThrownBy(() -> dedup.process(record("order-1", "paid 10"), writesThenFails))
                .isInstanceOf(RecordProcessingException.class)
                .hasRootCauseMessage("downstream refused");
        assertThat(effects()).isEmpty();

        assertThat(dedup.process(record("order-1", "paid 10"), insertEffect).outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(effects()).containsExactly(Map.entry("order-1", 1));
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aBusinessRefusalIsRecordedAndItsRedeliveryIsADuplicateOfTheRefusal(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database);
        RecordHandler<String, String> outOfStock = (record, connection) -> HandlerResult.rejected("OUT_OF_STOCK");

        DedupResult refused = dedup.process(record("order-1", "take 5"), outOfStock);
        DedupResult again = dedup.process(record("order-1", "take 5"), insertEffect);

        assertThat(refused.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(refused.reason()).isEqualTo("OUT_OF_STOCK");
        assertThat(again.outcome()).isEqualTo(Outcome.DUPLICATE);
        assertThat(again.firstOutcome()).isEqualTo(Outcome.REJECTED);
        assertThat(effects()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void recordsWithoutAUsableKeyAreInvalidWithAReasonAndClaimNothing(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database);

        DedupResult missing = dedup.process(record(null, "paid 10"), insertEffect);
        DedupResult oversized = dedup.process(record("k".repeat(256), "paid 10"), insertEffect);
        DedupResult longestAllowed = dedup.process(record("é".repeat(255), "paid 10"), insertEffect);

        assertThat(missing.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(missing.reason()).contains("no dedup key").contains("the record key").contains("orders-0@0");
        assertThat(oversized.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(oversized.reason()).contains("256 characters").contains("refused rather than truncated");
        assertThat(longestAllowed.outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(effects()).containsOnlyKeys("é".repeat(255));
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aJsonFieldKeyOfAMalformedPayloadMakesTheRecordInvalid(TestDatabase database) throws Exception {
        deduplicator(database);
        Deduplicator byEventId = Deduplicator.builder().consumerName("json").dataSource(dataSource)
                .dedupKey(DedupKey.jsonField("eventId")).meterRegistry(meters).build();

        DedupResult good = byEventId.process(record("k", "{\"eventId\":\"e-1\",\"qty\":2}"), insertEffect);
        DedupResult sameEventOtherFieldOrder = byEventId.process(record("k", "{\"qty\":2,\"eventId\":\"e-1\"}"), insertEffect);
        DedupResult malformed = byEventId.process(record("k", "{not json"), insertEffect);
        DedupResult absent = byEventId.process(record("k", "{\"qty\":2}"), insertEffect);

        assertThat(good.dedupKey()).isEqualTo("e-1");
        // The default fingerprint hashes the bytes as sent: a re-serialized payload is not the same bytes.
        assertThat(sameEventOtherFieldOrder.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(malformed.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(malformed.reason()).contains("cannot read the dedup key").contains("JSON field 'eventId'");
        assertThat(absent.outcome()).isEqualTo(Outcome.INVALID);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aHeaderKeyIsReadFromTheLastHeaderOfThatName(TestDatabase database) throws Exception {
        deduplicator(database);
        Deduplicator byHeader = Deduplicator.builder().consumerName("headers").dataSource(dataSource)
                .dedupKey(DedupKey.header("event-id")).meterRegistry(meters).build();
        RecordHeaders headers = new RecordHeaders();
        headers.add("event-id", "stale".getBytes(StandardCharsets.UTF_8));
        headers.add("event-id", "e-42".getBytes(StandardCharsets.UTF_8));
        ConsumerRecord<String, String> withHeader = new ConsumerRecord<>("orders", 0, 7, 0L, TimestampType.CREATE_TIME,
                0, 0, "k", "v", headers, java.util.Optional.empty());

        assertThat(byHeader.process(withHeader, insertEffect).dedupKey()).isEqualTo("e-42");
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aBatchClaimsEachKeyOnceCollapsingRepeatsWithinItAndAgainstEarlierBatches(TestDatabase database)
            throws Exception {
        Deduplicator dedup = deduplicator(database);
        dedup.process(record("order-0", "v0"), insertEffect);

        List<ConsumerRecord<String, String>> batch = List.of(
                record("order-0", "v0"),      // processed before: DUPLICATE
                record("order-1", "v1"),
                record("order-1", "v1"),      // repeated within the batch: DUPLICATE
                record("order-2", "v2"),
                record("order-2", "other"),   // same key, other payload within the batch: CONFLICT
                record(null, "no key"),       // INVALID
                record("order-0", "changed")  // CONFLICT against the earlier batch
        );
        BatchResult result = dedup.processBatch(batch, insertEffect);

        assertThat(result.complete()).isTrue();
        assertThat(result.results()).extracting(DedupResult::outcome).containsExactly(Outcome.DUPLICATE,
                Outcome.PROCESSED, Outcome.DUPLICATE, Outcome.PROCESSED, Outcome.CONFLICT, Outcome.INVALID,
                Outcome.CONFLICT);
        assertThat(result.results().get(2).firstDelivery()).isEqualTo("orders-0@2");
        assertThat(effects()).containsOnly(Map.entry("order-0", 1), Map.entry("order-1", 1), Map.entry("order-2", 1));
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aFailingRecordInABatchIsIsolatedTheRecordsBeforeItCommitAndTheRecordsAfterItDoNotRun(TestDatabase database)
            throws Exception {
        Deduplicator dedup = deduplicator(database);
        RecordHandler<String, String> failsOnPoison = (record, connection) -> {
            if (record.value().equals("poison")) {
                throw new IllegalArgumentException("cannot apply " + record.key());
            }
            return insertEffect.handle(record, connection);
        };
        List<ConsumerRecord<String, String>> batch = List.of(record("a", "1"), record("b", "2"), record("c", "poison"),
                record("d", "4"));

        BatchResult result = dedup.processBatch(batch, failsOnPoison);

        assertThat(result.complete()).isFalse();
        assertThat(result.failedIndex()).isEqualTo(2);
        assertThat(result.failure()).isInstanceOf(RecordProcessingException.class).hasRootCauseMessage("cannot apply c");
        assertThat(result.results()).extracting(DedupResult::outcome).containsExactly(Outcome.PROCESSED, Outcome.PROCESSED);
        assertThat(effects()).containsOnly(Map.entry("a", 1), Map.entry("b", 1));

        // The caller retries from the failed record: the rest of the batch then completes, once.
        BatchResult retry = dedup.processBatch(batch.subList(2, 4), insertEffect);
        assertThat(retry.results()).extracting(DedupResult::outcome).containsExactly(Outcome.PROCESSED, Outcome.PROCESSED);
        assertThat(effects()).containsOnly(Map.entry("a", 1), Map.entry("b", 1), Map.entry("c", 1), Map.entry("d", 1));
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aRecordThatFailsOnlyOnceInABatchSucceedsAloneAndTheBatchCompletes(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database);
        AtomicInteger failuresLeft = new AtomicInteger(1);
        RecordHandler<String, String> flaky = (record, connection) -> {
            if (record.key().equals("b") && failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("flaky downstream");
            }
            return insertEffect.handle(record, connection);
        };

        BatchResult result = dedup.processBatch(List.of(record("a", "1"), record("b", "2"), record("c", "3")), flaky);

        assertThat(result.complete()).isTrue();
        assertThat(result.results()).hasSize(3);
        assertThat(effects()).containsOnly(Map.entry("a", 1), Map.entry("b", 1), Map.entry("c", 1));
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aDeadlockIsRunAgainInsteadOfFailingTheRecord(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database);
        AtomicInteger deadlocksLeft = new AtomicInteger(2);
        RecordHandler<String, String> deadlockedTwice = (record, connection) -> {
            insertEffect.handle(record, connection);
            if (deadlocksLeft.getAndDecrement() > 0) {
                throw new SQLTransactionRollbackException("Deadlock found when trying to get lock", "40001", 1213);
            }
            return HandlerResult.processed();
        };

        assertThat(dedup.process(record("order-1", "v"), deadlockedTwice).outcome()).isEqualTo(Outcome.PROCESSED);
        deadlocksLeft.set(2);
        assertThat(dedup.processBatch(List.of(record("order-2", "v"), record("order-3", "v")), deadlockedTwice)
                .complete()).isTrue();

        assertThat(effects()).containsOnly(Map.entry("order-1", 1), Map.entry("order-2", 1), Map.entry("order-3", 1));
        assertThat(meters.get("dedup.transient.retries").counter().count()).isEqualTo(4.0);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aNullHandlerResultFailsTheRecordWithAMessageSayingWhatToReturn(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database);

        assertThatThrownBy(() -> dedup.process(record("order-1", "v"), (r, c) -> null))
                .isInstanceOf(RecordProcessingException.class)
                .hasMessageContaining("return HandlerResult.processed() or HandlerResult.rejected(reason)");
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aGuardThatThrowsIsAMissAndTheDatabaseDecides(TestDatabase database) throws Exception {
        deduplicator(database);
        DedupGuard broken = new DedupGuard() {
            @Override
            public Map<String, Remembered> recall(String consumerName, java.util.Collection<String> dedupKeys) {
                throw new IllegalStateException("a guard with a bug");
            }

            @Override
            public void remember(String consumerName, Map<String, Remembered> entries) {
                throw new IllegalStateException("a guard with a bug");
            }
        };
        Deduplicator dedup = Deduplicator.builder().consumerName("orders-service").dataSource(dataSource)
                .dedupKey(DedupKey.recordKey()).guard(broken).meterRegistry(meters).build();

        assertThat(dedup.process(record("order-1", "v"), insertEffect).outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(dedup.process(record("order-1", "v"), insertEffect).outcome()).isEqualTo(Outcome.DUPLICATE);
        BatchResult batch = dedup.processBatch(List.of(record("order-2", "v"), record("order-1", "v")), insertEffect);

        assertThat(batch.failure()).isNull();
        assertThat(batch.results()).extracting(DedupResult::outcome).containsExactly(Outcome.PROCESSED, Outcome.DUPLICATE);
        assertThat(effects()).containsOnly(Map.entry("order-1", 1), Map.entry("order-2", 1));
    }

    private Map<String, Integer> effects() throws SQLException {
        return Effects.perKey(dataSource);
    }
}
