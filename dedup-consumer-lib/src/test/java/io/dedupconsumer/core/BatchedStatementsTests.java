package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.Databases;
import io.dedupconsumer.jdbc.DedupSchema;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JDBC fast path: a per-record {@link StatementHandler} whose statements go out as JDBC batches still decides
 * PROCESSED or REJECTED from its conditional update's row count, applies records in record order, fails only the
 * record whose statement fails, and never guesses a row count the driver did not report.
 */
class BatchedStatementsTests {

    private static final String DECREMENT =
            "UPDATE stock SET available = available - ? WHERE sku = ? AND available >= ?";
    private static final String LEDGER = "INSERT INTO ledger (event_id, sku, quantity) VALUES (?, ?, ?)";

    @RegisterExtension
    final Databases databases = new Databases();

    private long nextOffset;

    /** The inventory shape: a conditional decrement, then a ledger row; values are "sku:quantity". */
    private final StatementHandler<String, String> reserve = (record, statements) -> {
        String[] event = record.value().split(":");
        int quantity = Integer.parseInt(event[1]);
        if (quantity <= 0) {
            statements.reject("quantity must be positive");
            return;
        }
        statements.update(DECREMENT, quantity, event[0], quantity).orReject("out of stock: " + event[0]);
        statements.update(LEDGER, record.key(), event[0].equals("null-sku") ? null : event[0], quantity);
    };

    /** The same effect as {@link #reserve}, run statement by statement: what the fast path must be equal to. */
    private final RecordHandler<String, String> reserveOneByOne = (record, connection) -> {
        String[] event = record.value().split(":");
        int quantity = Integer.parseInt(event[1]);
        if (quantity <= 0) {
            return HandlerResult.rejected("quantity must be positive");
        }
        try (PreparedStatement decrement = connection.prepareStatement(DECREMENT);
                PreparedStatement ledger = connection.prepareStatement(LEDGER)) {
            decrement.setInt(1, quantity);
            decrement.setString(2, event[0]);
            decrement.setInt(3, quantity);
            if (decrement.executeUpdate() == 0) {
                return HandlerResult.rejected("out of stock: " + event[0]);
            }
            ledger.setString(1, record.key());
            ledger.setString(2, event[0]);
            ledger.setInt(3, quantity);
            ledger.executeUpdate();
        }
        return HandlerResult.processed();
    };

    private DataSource inventory(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE stock (sku VARCHAR(40) PRIMARY KEY, available INT NOT NULL)");
            s.execute("CREATE TABLE ledger (event_id VARCHAR(40) PRIMARY KEY, sku VARCHAR(40) NOT NULL, "
                    + "quantity INT NOT NULL)");
            s.execute("INSERT INTO stock (sku, available) VALUES ('apple', 10), ('pear', 3), ('plum', 0)");
        }
        return dataSource;
    }

    private DataSource inventory(TestDatabase database, String name) throws SQLException {
        return inventory(databases.migrated(database, name));
    }

    private static Deduplicator deduplicator(DataSource dataSource) {
        return Deduplicator.builder().consumerName("inventory").dataSource(dataSource).dedupKey(DedupKey.recordKey())
                .meterRegistry(new SimpleMeterRegistry()).build();
    }

    private ConsumerRecord<String, String> event(String key, String skuAndQuantity) {
        return new ConsumerRecord<>("stock-events", 0, nextOffset++, key, skuAndQuantity);
    }

    /** Forty events over three SKUs, more than the stock, so that some are refused in the middle of the batch. */
    private List<ConsumerRecord<String, String>> events() {
        String[] skus = {"apple", "pear", "plum"};
        return IntStream.range(0, 40).mapToObj(i -> event("e-" + i, skus[i % 3] + ":" + (1 + i % 2))).toList();
    }

    private static Map<String, Integer> stock(DataSource dataSource) throws SQLException {
        return query(dataSource, "SELECT sku, available FROM stock");
    }

    private static Map<String, Integer> ledger(DataSource dataSource) throws SQLException {
        return query(dataSource, "SELECT event_id, quantity FROM ledger");
    }

    private static Map<String, Integer> query(DataSource dataSource, String sql) throws SQLException {
        Map<String, Integer> rows = new TreeMap<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                rows.put(r.getString(1), r.getInt(2));
            }
        }
        return rows;
    }

    private static List<String> outcomes(BatchResult result) {
        return result.results().stream().map(r -> r.outcome() + (r.reason() == null ? "" : " " + r.reason())).toList();
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void theBatchedRecordsEndExactlyAsRecordsAppliedOneStatementAtATime(TestDatabase database) throws Exception {
        DataSource batched = inventory(database, "fast_path");
        DataSource oneByOne = inventory(database, "one_by_one");
        List<ConsumerRecord<String, String>> events = events();

        BatchResult fast = deduplicator(batched).processBatchInOneCall(events, BatchedStatements.of(reserve));
        BatchResult slow = deduplicator(oneByOne).processBatch(events, reserveOneByOne);

        assertThat(fast.complete()).isTrue();
        assertThat(outcomes(fast)).isEqualTo(outcomes(slow)).contains("REJECTED out of stock: pear")
                .contains("REJECTED out of stock: plum").contains("PROCESSED");
        assertThat(stock(batched)).isEqualTo(stock(oneByOne)).containsEntry("apple", 0).containsEntry("pear", 0);
        assertThat(ledger(batched)).isEqualTo(ledger(oneByOne)).hasSizeBetween(5, 15);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aRefusedRecordRunsNoLaterStatementAndItsRefusalIsRecorded(TestDatabase database) throws Exception {
        DataSource dataSource = inventory(database, "refused");
        Deduplicator dedup = deduplicator(dataSource);
        List<ConsumerRecord<String, String>> events = List.of(event("a", "pear:2"), event("b", "pear:2"),
                event("c", "pear:1"), event("d", "apple:0"));

        BatchResult result = dedup.processBatchInOneCall(events, BatchedStatements.of(reserve));

        assertThat(outcomes(result)).containsExactly("PROCESSED", "REJECTED out of stock: pear", "PROCESSED",
                "REJECTED quantity must be positive");
        assertThat(ledger(dataSource)).containsOnlyKeys("a", "c");
        assertThat(stock(dataSource)).containsEntry("pear", 0);
        BatchResult again = dedup.processBatchInOneCall(events, BatchedStatements.of(reserve));
        assertThat(again.results()).extracting(DedupResult::outcome).containsOnly(Outcome.DUPLICATE);
        assertThat(again.results()).extracting(DedupResult::firstOutcome).containsExactly(Outcome.PROCESSED,
                Outcome.REJECTED, Outcome.PROCESSED, Outcome.REJECTED);
        assertThat(stock(dataSource)).containsEntry("pear", 0).containsEntry("apple", 10);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aStatementThatFailsFailsOnlyItsRecord(TestDatabase database) throws Exception {
        DataSource dataSource = inventory(database, "failing");
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO stock (sku, available) VALUES ('null-sku', 100)");
        }
        List<ConsumerRecord<String, String>> events = new ArrayList<>(IntStream.range(0, 12)
                .mapToObj(i -> event("e-" + i, "apple:" + (i < 10 ? "1" : "0"))).toList());
        events.set(6, event("e-6", "null-sku:1"));

        BatchResult result = deduplicator(dataSource).processBatchInOneCall(events, BatchedStatements.of(reserve));

        assertThat(result.failedIndex()).isEqualTo(6);
        assertThat(result.failure()).isInstanceOf(RecordProcessingException.class)
                .hasMessageContaining("stock-events-0@" + events.get(6).offset());
        assertThat(result.results()).hasSize(6).extracting(DedupResult::outcome).containsOnly(Outcome.PROCESSED);
        assertThat(ledger(dataSource)).containsOnlyKeys("e-0", "e-1", "e-2", "e-3", "e-4", "e-5");
        assertThat(stock(dataSource)).as("the failing record's decrement rolled back with it")
                .containsEntry("apple", 4).containsEntry("null-sku", 100);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void eachStatementShapeGoesOutAsOneBatchPerRound(TestDatabase database) throws Exception {
        DataSource dataSource = inventory(databases.create(database, "round_trips"));
        List<String> calls = new ArrayList<>();
        List<ConsumerRecord<String, String>> events = events().subList(0, 10);

        List<HandlerResult> results;
        try (Connection real = dataSource.getConnection()) {
            real.setAutoCommit(false);
            results = BatchedStatements.of(reserve).handle(events, recording(real, calls));
            real.commit();
        }

        assertThat(calls).containsExactly("prepareStatement " + DECREMENT, "executeBatch 10",
                "prepareStatement " + LEDGER, "executeBatch " + results.stream().filter(r -> !r.isRejected()).count());
        assertThat(ledger(dataSource)).hasSize((int) results.stream().filter(r -> !r.isRejected()).count());
    }

    @Test
    void aDriverThatHidesBatchRowCountsGetsItsConditionsSentOneAtATime() throws Exception {
        TestDatabase database = TestDatabase.mariadbDriver();
        String name = database.createDatabase("bulk_stmts");
        try (HikariDataSource bulk = new HikariDataSource()) {
            bulk.setJdbcUrl(database.jdbcUrl(name) + "&useBulkStmts=true");
            bulk.setUsername(database.user());
            bulk.setPassword(database.password());
            DedupSchema.migrate(bulk);
            DataSource reference = inventory(database, "bulk_reference");
            List<ConsumerRecord<String, String>> events = events();

            BatchResult fast = deduplicator(inventory(bulk)).processBatchInOneCall(events, BatchedStatements.of(reserve));
            BatchResult slow = deduplicator(reference).processBatch(events, reserveOneByOne);

            assertThat(fast.complete()).isTrue();
            assertThat(outcomes(fast)).isEqualTo(outcomes(slow));
            assertThat(stock(bulk)).isEqualTo(stock(reference));
            assertThat(ledger(bulk)).isEqualTo(ledger(reference));

            BatchedStatements<String, String> fastPath = BatchedStatements.of(reserve);
            List<String> calls = new ArrayList<>();
            List<ConsumerRecord<String, String>> more = List.of(event("x-1", "apple:1"), event("x-2", "pear:1"),
                    event("x-3", "apple:1"), event("x-4", "pear:5"));
            try (Connection real = bulk.getConnection()) {
                try (Statement restock = real.createStatement()) {
                    restock.execute("UPDATE stock SET available = 3");
                }
                real.setAutoCommit(false);
                Connection connection = recording(real, calls);
                assertThatThrownBy(() -> fastPath.handle(more, connection))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("no row count");
                real.rollback();
                calls.clear();
                assertThat(fastPath.handle(more, connection)).extracting(HandlerResult::isRejected)
                        .containsExactly(false, false, false, true);
                real.rollback();
            }
            assertThat(calls).as("after the driver hid a count, conditions go one at a time; the rest stays batched")
                    .containsExactly("prepareStatement " + DECREMENT, "executeUpdate", "executeUpdate", "executeUpdate",
                            "executeUpdate", "prepareStatement " + LEDGER, "executeBatch 3");
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#oneDriverEach")
    void aRowCountThatSaysNothingOrTheWrongNumberOfCountsFailsTheCallInsteadOfBeingRead(TestDatabase database)
            throws Exception {
        DataSource dataSource = inventory(databases.create(database, "bad_counts"));
        List<ConsumerRecord<String, String>> events = events().subList(0, 4);
        try (Connection real = dataSource.getConnection()) {
            real.setAutoCommit(false);
            assertThatThrownBy(() -> BatchedStatements.of(reserve).handle(events,
                    rewritingCounts(real, counts -> { counts[1] = Statement.EXECUTE_FAILED; return counts; })))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("row count -3");
            real.rollback();
            assertThatThrownBy(() -> BatchedStatements.of(reserve).handle(events,
                    rewritingCounts(real, counts -> java.util.Arrays.copyOf(counts, counts.length - 1))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("3 row counts for a batch of 4");
            real.rollback();
        }
    }

    /** A connection whose statements' {@code executeBatch} results are passed through {@code rewrite}: a driver's lie. */
    private static Connection rewritingCounts(Connection real, java.util.function.UnaryOperator<int[]> rewrite) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    Object value = invoke(real, method, args);
                    if (!method.getName().equals("prepareStatement")) {
                        return value;
                    }
                    PreparedStatement statement = (PreparedStatement) value;
                    return Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(),
                            new Class<?>[] {PreparedStatement.class}, (p, m, a) -> {
                                Object result = invoke(statement, m, a);
                                return m.getName().equals("executeBatch") ? rewrite.apply((int[]) result) : result;
                            });
                });
    }

    @Test
    void aStatementDeclaredAfterTheHandlerReturnedIsRefused() throws Exception {
        AtomicReference<RecordStatements> kept = new AtomicReference<>();
        BatchedStatements<String, String> keeping = BatchedStatements.of((record, statements) -> kept.set(statements));
        keeping.handle(List.of(event("a", "apple:1")), unusedConnection());

        assertThatThrownBy(() -> kept.get().update(LEDGER, "a", "apple", 1))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("during the StatementHandler's call");
    }

    /** A connection that records which statements were prepared and how they were sent, passing every call on. */
    private static Connection recording(Connection real, List<String> calls) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    Object value = invoke(real, method, args);
                    if (method.getName().equals("prepareStatement")) {
                        calls.add("prepareStatement " + args[0]);
                        PreparedStatement statement = (PreparedStatement) value;
                        return Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(),
                                new Class<?>[] {PreparedStatement.class}, (p, m, a) -> {
                                    Object result = invoke(statement, m, a);
                                    if (m.getName().equals("executeBatch")) {
                                        calls.add("executeBatch " + ((int[]) result).length);
                                    } else if (m.getName().startsWith("execute")) {
                                        calls.add(m.getName());
                                    }
                                    return result;
                                });
                    }
                    return value;
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static Connection unusedConnection() {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    throw new AssertionError("no statement was declared, so the connection must not be used");
                });
    }
}
