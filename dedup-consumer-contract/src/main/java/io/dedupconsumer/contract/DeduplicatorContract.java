package io.dedupconsumer.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dedupconsumer.core.BatchResult;
import io.dedupconsumer.core.DedupKey;
import io.dedupconsumer.core.DedupResult;
import io.dedupconsumer.core.Deduplicator;
import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.core.Outcome;
import io.dedupconsumer.core.RecordHandler;
import io.dedupconsumer.core.RecordProcessingException;
import io.dedupconsumer.jdbc.DedupSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The guarantee of a {@link Deduplicator}, as tests a user runs against <em>their</em> database: a MySQL- or
 * PostgreSQL-compatible server or managed service, their character set and collation defaults, their isolation level,
 * their pool. The library's own build runs it against MariaDB (through both MySQL drivers), PostgreSQL and H2; what it
 * cannot run is the database you have, and a dedup table whose collation merges two keys, or whose unique index does
 * not hold under concurrent claims, silently applies events twice or drops them. Extend it in your test sources:
 *
 * <pre>{@code
 * class OurAuroraKeepsTheDedupContractTests extends DeduplicatorContract {
 *     static final HikariDataSource DATABASE = ...; // the database and settings production uses
 *
 *     @Override
 *     protected DataSource dataSource() {
 *         return DATABASE;
 *     }
 * }
 * }</pre>
 *
 * <p>Every test uses a consumer name of its own, so one database (with one dedup table) serves every run, and nothing
 * is deleted. Beside the dedup table the contract creates one table, {@value #EFFECT_TABLE}, that stands for the
 * business effect: a row per handler run that committed, with no unique index, so a doubled effect shows as two rows.
 * The DataSource must allow at least {@value #CONCURRENT_DELIVERIES} connections at once (the concurrency tests hold
 * that many transactions open together).
 */
public abstract class DeduplicatorContract {

    /** The table that stands for the business effect; created by the contract if it does not exist. */
    protected static final String EFFECT_TABLE = "dedup_contract_effect";

    /** How many deliveries of one key race each other in the concurrency tests, each in its own transaction. */
    protected static final int CONCURRENT_DELIVERIES = 4;

    /** The longest dedup key the table stores, in characters (documented in docs/reference.md). */
    private static final int MAX_KEY_LENGTH = 255;

    private static final String TOPIC = "contract-events";

    private String consumerName;
    private Deduplicator deduplicator;
    private long nextOffset;

    /**
     * The database under test: where the dedup table is (or is created, see {@link #createDedupTable}) and the effect
     * table is created. Called before every test; return the same pool each time.
     */
    protected abstract DataSource dataSource();

    /**
     * Creates the dedup table if it is missing. By default the library's own migration, {@link DedupSchema#migrate};
     * override it when your schema is managed elsewhere (then it must already hold the table).
     */
    protected void createDedupTable(DataSource dataSource) {
        DedupSchema.migrate(dataSource);
    }

    /**
     * The deduplicator under test, for the given consumer name. Override to add your production settings (a table
     * name, a dialect, a transaction runner, a guard); keep the record-key {@link DedupKey} the tests rely on.
     */
    protected Deduplicator.Builder deduplicator(String consumerName) {
        return Deduplicator.builder().consumerName(consumerName).dataSource(dataSource()).dedupKey(DedupKey.recordKey());
    }

    @BeforeEach
    final void prepare() throws SQLException {
        DataSource dataSource = dataSource();
        createDedupTable(dataSource);
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS " + EFFECT_TABLE
                    + " (consumer_name VARCHAR(100) NOT NULL, source_offset BIGINT NOT NULL)");
        }
        consumerName = "contract-" + UUID.randomUUID();
        deduplicator = deduplicator(consumerName).build();
    }

    @Test
    void aUsableDedupTablePassesTheStartUpCheck() {
        assertThatCode(deduplicator::checkDatabase).doesNotThrowAnyException();
    }

    @Test
    void aMissingDedupTableIsRefusedAtStartUpNamingIt() {
        Deduplicator absent = deduplicator(consumerName).table("dedup_contract_absent").build();

        assertThatThrownBy(absent::checkDatabase).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("dedup_contract_absent");
    }

    @Test
    void aNewKeyIsProcessedAndItsEffectCommitsWithTheClaim() throws SQLException {
        DedupResult result = deliver("order-1", "paid 10");

        assertThat(result.outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(result.dedupKey()).isEqualTo("order-1");
        assertThat(effectsByOffset()).containsExactly(Map.entry(0L, 1));
    }

    @Test
    void aRedeliveryIsADuplicateOfTheFirstDeliveryAndItsEffectIsNotRepeated() throws SQLException {
        deliver("order-1", "paid 10");

        DedupResult again = deliver("order-1", "paid 10");

        assertThat(again.outcome()).isEqualTo(Outcome.DUPLICATE);
        assertThat(again.firstOutcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(again.firstDelivery()).isEqualTo(TOPIC + "-0@0");
        assertThat(effectsByOffset()).containsExactly(Map.entry(0L, 1));
    }

    @Test
    void anotherPayloadUnderAClaimedKeyIsAConflictAndIsNotApplied() throws SQLException {
        deliver("order-1", "paid 10");

        DedupResult conflict = deliver("order-1", "paid 99");

        assertThat(conflict.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(conflict.reason()).isNotBlank();
        assertThat(effectsByOffset()).containsOnlyKeys(0L);
    }

    @Test
    void aFailingHandlerRollsBackItsClaimWithItsEffectSoTheRetryAppliesItOnce() throws SQLException {
        ConsumerRecord<String, String> record = record("order-1", "paid 10");
        RecordHandler<String, String> writesThenFails = (r, connection) -> {
            writeEffect(r, connection);
            throw new IllegalStateException("downstream refused");
        };

        assertThatThrownBy(() -> deduplicator.process(record, writesThenFails))
                .isInstanceOf(RecordProcessingException.class);
        assertThat(effectsByOffset()).isEmpty();

        assertThat(deduplicator.process(record, this::writeEffect).outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(effectsByOffset()).containsExactly(Map.entry(record.offset(), 1));
    }

    @Test
    void aRefusalCommitsWithTheClaimAndARedeliveryIsADuplicateOfTheRefusal() {
        DedupResult refused = deduplicator.process(record("order-1", "take 5"),
                (r, connection) -> HandlerResult.rejected("OUT_OF_STOCK"));

        DedupResult again = deliver("order-1", "take 5");

        assertThat(refused.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(again.outcome()).isEqualTo(Outcome.DUPLICATE);
        assertThat(again.firstOutcome()).isEqualTo(Outcome.REJECTED);
    }

    @Test
    void sameKeyUnderAnotherConsumerNameIsAnotherEvent() throws SQLException {
        deliver("order-1", "paid 10");
        Deduplicator otherConsumer = deduplicator(consumerName + "-other").build();

        DedupResult result = otherConsumer.process(record("order-1", "paid 10"), this::writeEffect);

        assertThat(result.outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(effectsByOffset()).containsOnlyKeys(0L, 1L).containsValues(1);
    }

    /**
     * The trap of case- and accent-insensitive collations (MySQL's and MariaDB's defaults), of PAD SPACE collations
     * and of Unicode normalisation: every one of these keys is another event and must be claimed on its own.
     */
    @Test
    void keysThatDifferOnlyInCaseAccentsWidthOrTrailingSpaceAreDistinctEvents() throws SQLException {
        List<String> keys = List.of("order-1", "ORDER-1", "order-1 ", "ordér-1", "orde\u0301r-1", "order-\uFF11",
                "strasse-1", "straße-1", "order-1\u00A0", "order-😀", "order-😁");

        List<Outcome> first = keys.stream().map(key -> deliver(key, "v").outcome()).toList();
        List<Outcome> again = keys.stream().map(key -> deliver(key, "v").outcome()).toList();

        assertThat(first).as("first delivery of %s", keys).containsOnly(Outcome.PROCESSED);
        assertThat(again).as("redelivery of %s", keys).containsOnly(Outcome.DUPLICATE);
        assertThat(effectsByOffset()).hasSize(keys.size()).containsOnlyKeys(
                IntStream.range(0, keys.size()).mapToObj(Long::valueOf).toArray(Long[]::new));
    }

    @Test
    void theLongestKeyIsKeptExactlyAndALongerOneIsInvalidRatherThanCut() throws SQLException {
        String longest = "é".repeat(MAX_KEY_LENGTH);
        String sameButLast = "é".repeat(MAX_KEY_LENGTH - 1) + "e";
        String tooLong = "k".repeat(MAX_KEY_LENGTH + 1);

        assertThat(deliver(longest, "v").outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(deliver(sameButLast, "v").outcome()).isEqualTo(Outcome.PROCESSED);
        assertThat(deliver(longest, "v").outcome()).isEqualTo(Outcome.DUPLICATE);
        DedupResult invalid = deliver(tooLong, "v");
        DedupResult invalidAgain = deliver(tooLong, "v");

        assertThat(invalid.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(invalid.reason()).contains(String.valueOf(MAX_KEY_LENGTH + 1));
        assertThat(invalidAgain.outcome()).as("an invalid key claims nothing").isEqualTo(Outcome.INVALID);
        assertThat(effectsByOffset()).containsOnlyKeys(0L, 1L);
    }

    @Test
    void aRecordWithoutAKeyIsInvalidAndClaimsNothing() throws SQLException {
        DedupResult missing = deliver(null, "paid 10");

        assertThat(missing.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(missing.reason()).isNotBlank();
        assertThat(effectsByOffset()).isEmpty();
    }

    /** Each delivery in its own transaction, all at once: the unique index, not the application, decides. */
    @Test
    void concurrentDeliveriesOfOneKeyApplyItsEffectOnce() throws Exception {
        for (int round = 0; round < 10; round++) {
            ConsumerRecord<String, String> record = record("order-" + round, "paid " + round);
            List<Outcome> outcomes = concurrently(() -> deduplicator.process(record, this::writeEffect).outcome());

            assertThat(outcomes).as("round %d", round).containsOnlyOnce(Outcome.PROCESSED)
                    .isSubsetOf(Outcome.PROCESSED, Outcome.DUPLICATE);
        }
        assertThat(effectsByOffset()).hasSize(10).allSatisfy((offset, runs) -> assertThat(runs).isEqualTo(1));
    }

    @Test
    void aBatchAppliesEachKeyOnceAcrossRepeatsWithinItAndAcrossBatches() throws SQLException {
        deliver("order-0", "v0");
        List<ConsumerRecord<String, String>> batch = List.of(
                record("order-0", "v0"),       // applied before: DUPLICATE
                record("order-1", "v1"),
                record("order-1", "v1"),       // repeated within the batch: DUPLICATE
                record("order-2", "v2"),
                record("order-2", "other"),    // another payload within the batch: CONFLICT
                record(null, "no key"),        // INVALID
                record("order-0", "changed")); // another payload than the earlier batch: CONFLICT

        BatchResult result = deduplicator.processBatch(batch, this::writeEffect);

        assertThat(result.complete()).isTrue();
        assertThat(result.results()).extracting(DedupResult::outcome).containsExactly(Outcome.DUPLICATE,
                Outcome.PROCESSED, Outcome.DUPLICATE, Outcome.PROCESSED, Outcome.CONFLICT, Outcome.INVALID,
                Outcome.CONFLICT);
        assertThat(effectsByOffset()).containsOnlyKeys(0L, 2L, 4L).containsValues(1);
    }

    @Test
    void aFailingRecordInABatchLeavesTheRecordsBeforeItAppliedAndTheRestUntouched() throws SQLException {
        List<ConsumerRecord<String, String>> batch = List.of(record("a", "1"), record("b", "2"), record("c", "poison"),
                record("d", "4"));
        RecordHandler<String, String> failsOnPoison = (r, connection) -> {
            if (r.value().equals("poison")) {
                throw new IllegalArgumentException("cannot apply " + r.key());
            }
            return writeEffect(r, connection);
        };

        BatchResult result = deduplicator.processBatch(batch, failsOnPoison);

        assertThat(result.failedIndex()).isEqualTo(2);
        assertThat(result.failure()).isInstanceOf(RecordProcessingException.class);
        assertThat(effectsByOffset()).containsOnlyKeys(0L, 1L);
        BatchResult retry = deduplicator.processBatch(batch.subList(2, 4), this::writeEffect);
        assertThat(retry.complete()).isTrue();
        assertThat(effectsByOffset()).containsOnlyKeys(0L, 1L, 2L, 3L).containsValues(1);
    }

    /** The batch path claims many keys in one statement: racing batches with shared keys must still apply each once. */
    @Test
    void concurrentBatchesSharingKeysApplyEachKeyOnce() throws Exception {
        List<List<ConsumerRecord<String, String>>> batches = new ArrayList<>();
        for (int b = 0; b < CONCURRENT_DELIVERIES; b++) {
            List<ConsumerRecord<String, String>> batch = new ArrayList<>();
            for (int k = 0; k < 50; k++) {
                batch.add(record("shared-" + k, "v" + k));
            }
            batches.add(batch);
        }
        Map<String, Integer> processedPerKey = new HashMap<>();
        List<Callable<BatchResult>> tasks = batches.stream()
                .<Callable<BatchResult>>map(batch -> () -> deduplicator.processBatch(batch, this::writeEffect))
                .toList();

        for (BatchResult result : runTogether(tasks)) {
            assertThat(result.complete()).as("%s", result.failure()).isTrue();
            result.results().stream().filter(r -> r.outcome() == Outcome.PROCESSED)
                    .forEach(r -> processedPerKey.merge(r.dedupKey(), 1, Integer::sum));
            assertThat(result.results()).extracting(DedupResult::outcome)
                    .isSubsetOf(Outcome.PROCESSED, Outcome.DUPLICATE);
        }
        assertThat(processedPerKey).hasSize(50).allSatisfy((key, times) -> assertThat(times).isEqualTo(1));
        assertThat(effectsByOffset().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(50);
    }

    private DedupResult deliver(String key, String payload) {
        return deduplicator.process(record(key, payload), this::writeEffect);
    }

    private ConsumerRecord<String, String> record(String key, String payload) {
        return new ConsumerRecord<>(TOPIC, 0, nextOffset++, key, payload);
    }

    private HandlerResult writeEffect(ConsumerRecord<String, String> record, Connection connection) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + EFFECT_TABLE
                + " (consumer_name, source_offset) VALUES (?, ?)")) {
            insert.setString(1, consumerName);
            insert.setLong(2, record.offset());
            insert.executeUpdate();
        }
        return HandlerResult.processed();
    }

    /** How many committed handler runs each source offset has, for this test's consumer. */
    private Map<Long, Integer> effectsByOffset() throws SQLException {
        Map<Long, Integer> effects = new HashMap<>();
        try (Connection connection = dataSource().getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT source_offset FROM " + EFFECT_TABLE + " WHERE consumer_name = ?")) {
            select.setString(1, consumerName);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    effects.merge(rows.getLong(1), 1, Integer::sum);
                }
            }
        }
        return effects;
    }

    private <T> List<T> concurrently(Callable<T> task) throws Exception {
        return runTogether(IntStream.range(0, CONCURRENT_DELIVERIES).<Callable<T>>mapToObj(i -> task).toList());
    }

    private static <T> List<T> runTogether(List<Callable<T>> tasks) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(tasks.size());
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> task : tasks) {
                futures.add(threads.submit(() -> {
                    start.await();
                    return task.call();
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            threads.shutdownNow();
        }
    }
}
