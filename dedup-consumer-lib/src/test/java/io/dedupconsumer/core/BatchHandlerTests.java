package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.Databases;
import io.dedupconsumer.Effects;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A {@link BatchHandler} gets the batch: one call per transaction with exactly the newly claimed records, whose
 * statements it sends as one JDBC batch; and when it throws, only the record it fails on fails.
 */
class BatchHandlerTests {

    @RegisterExtension
    final Databases databases = new Databases();

    private DataSource dataSource;
    private long nextOffset;
    /** What each call of the handler was given, as keys. */
    private final List<List<String>> calls = Collections.synchronizedList(new ArrayList<>());

    private Deduplicator deduplicator(TestDatabase database) throws SQLException {
        dataSource = databases.migrated(database, "batch_handler");
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE effect (event_key VARCHAR(300) NOT NULL, payload VARCHAR(300) NOT NULL)");
        }
        return Deduplicator.builder().consumerName("orders-service").dataSource(dataSource)
                .dedupKey(DedupKey.recordKey()).meterRegistry(new SimpleMeterRegistry()).build();
    }

    /** Inserts every record's effect with one JDBC batch; refuses the keys starting with "refuse". */
    private final BatchHandler<String, String> jdbcBatch = (records, connection) -> {
        calls.add(records.stream().map(ConsumerRecord::key).toList());
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO effect VALUES (?, ?)")) {
            for (ConsumerRecord<String, String> record : records) {
                insert.setString(1, record.key());
                insert.setString(2, record.value());
                insert.addBatch();
            }
            insert.executeBatch();
        }
        return records.stream().map(r -> r.key().startsWith("refuse") ? HandlerResult.rejected("refused " + r.key())
                : HandlerResult.processed()).toList();
    };

    private ConsumerRecord<String, String> record(String key, String value) {
        return new ConsumerRecord<>("orders", 0, nextOffset++, key, value);
    }

    private List<ConsumerRecord<String, String>> records(int count, String prefix) {
        return IntStream.range(0, count).mapToObj(i -> record(prefix + i, "v")).collect(Collectors.toList());
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void theHandlerGetsOnlyTheNewlyClaimedRecordsInOneCall(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database);
        dedup.processBatchInOneCall(List.of(record("old", "v"), record("taken", "first")), jdbcBatch);
        calls.clear();

        BatchResult result = dedup.processBatchInOneCall(List.of(record("a", "v"), record("old", "v"),
                record("b", "v"), record("a", "v"), record("taken", "other"), record("refuse-c", "v"),
                record("", "no key"), record("a", "changed")), jdbcBatch);

        assertThat(calls).containsExactly(List.of("a", "b", "refuse-c"));
        assertThat(result.complete()).isTrue();
        assertThat(result.results()).extracting(DedupResult::outcome).containsExactly(Outcome.PROCESSED,
                Outcome.DUPLICATE, Outcome.PROCESSED, Outcome.DUPLICATE, Outcome.CONFLICT, Outcome.REJECTED,
                Outcome.INVALID, Outcome.CONFLICT);
        assertThat(result.results().get(5).reason()).isEqualTo("refused refuse-c");
        assertThat(Effects.perKey(dataSource)).containsOnly(Map.entry("old", 1), Map.entry("taken", 1),
                Map.entry("a", 1), Map.entry("b", 1), Map.entry("refuse-c", 1));

        DedupResult again = dedup.process(record("refuse-c", "v"), (r, c) -> HandlerResult.processed());
        assertThat(again.outcome()).isEqualTo(Outcome.DUPLICATE);
        assertThat(again.firstOutcome()).as("the rejection was recorded with the claim").isEqualTo(Outcome.REJECTED);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void noResultsMeanEveryRecordWasProcessed(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database);

        BatchResult none = dedup.processBatchInOneCall(records(3, "n"), (records, connection) -> null);
        BatchResult empty = dedup.processBatchInOneCall(records(3, "e"), (records, connection) -> List.of());

        assertThat(none.results()).extracting(DedupResult::outcome).containsOnly(Outcome.PROCESSED).hasSize(3);
        assertThat(empty.results()).extracting(DedupResult::outcome).containsOnly(Outcome.PROCESSED).hasSize(3);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aFailingRecordIsFoundByHalvingAndOnlyItFails(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database);
        List<ConsumerRecord<String, String>> batch = records(16, "e-");
        BatchHandler<String, String> failsOnE11 = (records, connection) -> {
            if (records.stream().anyMatch(r -> r.key().equals("e-11"))) {
                calls.add(records.stream().map(ConsumerRecord::key).toList());
                throw new IllegalStateException("cannot apply e-11");
            }
            return jdbcBatch.handle(records, connection);
        };

        BatchResult result = dedup.processBatchInOneCall(batch, failsOnE11);

        assertThat(result.failedIndex()).isEqualTo(11);
        assertThat(result.results()).hasSize(11).extracting(DedupResult::outcome).containsOnly(Outcome.PROCESSED);
        assertThat(result.failure()).isInstanceOf(RecordProcessingException.class)
                .hasMessageContaining("orders-0@" + batch.get(11).offset()).hasRootCauseMessage("cannot apply e-11");
        assertThat(Effects.perKey(dataSource)).hasSize(11).allSatisfy((key, count) -> assertThat(count).isEqualTo(1))
                .doesNotContainKey("e-11");
        // Halving: 16, 8 (e-8..e-15), 4 (e-8..e-11), 2 (e-10, e-11), then e-11 alone and its own second chance.
        List<List<String>> failed = new ArrayList<>();
        synchronized (calls) {
            calls.stream().filter(keys -> keys.contains("e-11")).forEach(failed::add);
        }
        assertThat(failed).hasSize(6).last().isEqualTo(List.of("e-11"));

        // The caller retries from the failed record: the ones after it are applied once, when e-11 can be.
        BatchResult retried = dedup.processBatchInOneCall(batch.subList(11, 16), jdbcBatch);
        assertThat(retried.results()).extracting(DedupResult::outcome).containsOnly(Outcome.PROCESSED).hasSize(5);
        assertThat(Effects.perKey(dataSource)).hasSize(16).allSatisfy((key, count) -> assertThat(count).isEqualTo(1));
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aFailureThatIsNoRecordsFaultIsOutgrownAndEveryRecordIsAppliedOnce(TestDatabase database) throws Exception {
        Deduplicator dedup = deduplicator(database);
        int[] attempts = {0};
        BatchHandler<String, String> failsOnce = (records, connection) -> {
            if (attempts[0]++ == 0) {
                throw new IllegalStateException("a downstream hiccup");
            }
            return jdbcBatch.handle(records, connection);
        };

        BatchResult result = dedup.processBatchInOneCall(records(10, "h-"), failsOnce);

        assertThat(result.complete()).isTrue();
        assertThat(result.results()).extracting(DedupResult::outcome).containsOnly(Outcome.PROCESSED).hasSize(10);
        assertThat(Effects.perKey(dataSource)).hasSize(10).allSatisfy((key, count) -> assertThat(count).isEqualTo(1));
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#serversOneDriverEach")
    void aLockWaitThatTimesOutStopsTheBatchAtOnceInsteadOfHalvingIntoATimeoutPerLevel(TestDatabase database)
            throws Exception {
        deduplicator(database);
        Deduplicator dedup = Deduplicator.builder().consumerName("orders-service").dataSource(dataSource)
                .dedupKey(DedupKey.recordKey()).transactionTimeout(Duration.ofSeconds(1))
                .meterRegistry(new SimpleMeterRegistry()).build();
        try (Connection setup = dataSource.getConnection(); Statement s = setup.createStatement()) {
            s.execute("CREATE TABLE hot_row (id INT PRIMARY KEY, n INT NOT NULL)");
            s.execute("INSERT INTO hot_row VALUES (1, 0)");
        }
        try (Connection holder = dataSource.getConnection()) {
            holder.setAutoCommit(false);
            try (Statement lock = holder.createStatement()) {
                lock.executeUpdate("UPDATE hot_row SET n = n + 1 WHERE id = 1");
            }
            BatchHandler<String, String> touchesTheHotRow = (records, connection) -> {
                calls.add(records.stream().map(ConsumerRecord::key).toList());
                try (Statement update = connection.createStatement()) {
                    update.executeUpdate("UPDATE hot_row SET n = n + 1 WHERE id = 1");
                }
                return null;
            };

            BatchResult result = dedup.processBatchInOneCall(records(8, "t-"), touchesTheHotRow);

            assertThat(result.failedIndex()).isZero();
            assertThat(result.failure()).isInstanceOfSatisfying(DatabaseUnavailableException.class,
                    e -> assertThat(e.reason()).isEqualTo(DatabaseUnavailableException.Reason.TIMED_OUT));
            assertThat(calls).as("one timeout, not one per halving level").hasSize(1);
            holder.rollback();
        }
        assertThat(Effects.perKey(dataSource)).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aHandlerReturningTheWrongNumberOfResultsFailsItsRecordsAndCommitsNothingOfThem(TestDatabase database)
            throws Exception {
        Deduplicator dedup = deduplicator(database);

        BatchResult result = dedup.processBatchInOneCall(records(3, "w-"), (records, connection) -> {
            jdbcBatch.handle(records, connection);
            return Collections.nCopies(records.size() + 1, HandlerResult.processed());
        });

        assertThat(result.failedIndex()).isZero();
        assertThat(result.failure()).hasRootCauseMessage("the batch handler returned 2 results for 1 records; return "
                + "one HandlerResult per record, in order, or none when every record was processed");
        assertThat(Effects.perKey(dataSource)).isEmpty();
    }
}
