package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.jdbc.DedupSchema;
import io.dedupconsumer.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Two transactions at the same moment, on MariaDB (through both MySQL drivers) and on PostgreSQL, per record and per
 * batch. Two consumers holding
 * the same record (a rebalance "zombie" and the partition's new owner): the second one's claim blocks on the first
 * one's uncommitted row, and once the first commits it sees a DUPLICATE and never runs its handler. Two records whose
 * handlers deadlock each other: the victim runs again, and each is applied once.
 */
class DeduplicatorConcurrentTransactionsTests {

    private static final Duration WAIT = Duration.ofSeconds(30);

    static Stream<Arguments> databasesAndModes() {
        return Stream.of(
                Arguments.of(TestDatabase.mariadb(), "record"),
                Arguments.of(TestDatabase.mariadb(), "batch"),
                Arguments.of(TestDatabase.mariadbDriver(), "record"),
                Arguments.of(TestDatabase.mariadbDriver(), "batch"),
                Arguments.of(TestDatabase.postgresql(), "record"),
                Arguments.of(TestDatabase.postgresql(), "batch"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("databasesAndModes")
    void secondClaimantOfAKeyWaitsForTheFirstAndThenSeesADuplicate(TestDatabase database, String mode) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (HikariDataSource dataSource = database.create("claim_race");
                Connection secondConnection = dataSource.getConnection()) {
            DedupSchema.migrate(dataSource);
            execute(dataSource, "CREATE TABLE effect (dedup_key VARCHAR(255) NOT NULL, claimant VARCHAR(10) NOT NULL)");
            long secondSession = sessionId(database, secondConnection);

            CountDownLatch firstInHandler = new CountDownLatch(1);
            CountDownLatch releaseFirst = new CountDownLatch(1);
            AtomicInteger secondHandlerCalls = new AtomicInteger();
            RecordHandler<String, String> firstHandler = (record, connection) -> {
                insertEffect(connection, record.key(), "first");
                firstInHandler.countDown();
                if (!releaseFirst.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released");
                }
                return HandlerResult.processed();
            };
            RecordHandler<String, String> secondHandler = (record, connection) -> {
                secondHandlerCalls.incrementAndGet();
                insertEffect(connection, record.key(), "second");
                return HandlerResult.processed();
            };
            Deduplicator first = Deduplicator.builder().consumerName("payments").dedupKey(DedupKey.recordKey())
                    .dataSource(dataSource).build();
            // The second claimant works on one known connection, so the test can see that very session wait.
            Deduplicator second = Deduplicator.builder().consumerName("payments").dedupKey(DedupKey.recordKey())
                    .transactionRunner(onConnection(secondConnection)).build();
            ConsumerRecord<String, String> record = new ConsumerRecord<>("payments", 3, 41L, "tx-7", "{\"amount\":10}");

            Future<DedupResult> firstResult = threads.submit(() -> process(first, record, firstHandler, mode));
            assertThat(firstInHandler.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("first claimant in its handler").isTrue();
            Future<DedupResult> secondResult = threads.submit(() -> process(second, record, secondHandler, mode));

            await().atMost(WAIT).until(() -> waitsForLock(database, dataSource, secondSession));
            assertThat(secondResult).as("second claimant while the first holds the key").isNotDone();
            releaseFirst.countDown();

            DedupResult winner = firstResult.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            DedupResult loser = secondResult.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(winner.outcome()).isEqualTo(Outcome.PROCESSED);
            assertThat(loser.outcome()).isEqualTo(Outcome.DUPLICATE);
            assertThat(loser.firstOutcome()).isEqualTo(Outcome.PROCESSED);
            assertThat(loser.firstDelivery()).isEqualTo("payments-3@41");
            assertThat(secondHandlerCalls).hasValue(0);
            assertThat(count(dataSource, "SELECT COUNT(*) FROM effect")).isEqualTo(1);
            assertThat(count(dataSource, "SELECT COUNT(*) FROM effect WHERE claimant = 'first'")).isEqualTo(1);
            assertThat(count(dataSource, "SELECT COUNT(*) FROM dedup_record")).isEqualTo(1);
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * A real deadlock, made by the database and not by the test: transfers between the same two accounts in opposite
     * directions, each locking its first account and then waiting for the other's. InnoDB (at once) and PostgreSQL
     * (after {@code deadlock_timeout}) roll one transaction back; the Deduplicator runs it again.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("databasesAndModes")
    void transfersDeadlockingEachOtherAreRunAgainAndAppliedOnceEach(TestDatabase database, String mode) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (HikariDataSource dataSource = database.create("deadlock")) {
            DedupSchema.migrate(dataSource);
            execute(dataSource, "CREATE TABLE account (id INT PRIMARY KEY, balance BIGINT NOT NULL)");
            execute(dataSource, "INSERT INTO account (id, balance) VALUES (1, 100), (2, 100)");
            execute(dataSource, "CREATE TABLE transfer (dedup_key VARCHAR(255) NOT NULL)");

            // Both transactions hold their first account before either asks for its second: a cycle, every time.
            CountDownLatch bothHoldTheirFirstAccount = new CountDownLatch(2);
            RecordHandler<String, String> transfer = (record, connection) -> {
                String[] accounts = record.value().split("->");
                move(connection, Integer.parseInt(accounts[0]), -10);
                bothHoldTheirFirstAccount.countDown();
                if (!bothHoldTheirFirstAccount.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the other transfer never locked its first account");
                }
                move(connection, Integer.parseInt(accounts[1]), 10);
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO transfer (dedup_key) VALUES (?)")) {
                    insert.setString(1, record.key());
                    insert.executeUpdate();
                }
                return HandlerResult.processed();
            };
            Deduplicator dedup = Deduplicator.builder().consumerName("transfers").dedupKey(DedupKey.recordKey())
                    .dataSource(dataSource).meterRegistry(meters).build();

            Future<DedupResult> oneToTwo = threads.submit(() ->
                    process(dedup, new ConsumerRecord<>("transfers", 0, 7L, "transfer-1", "1->2"), transfer, mode));
            Future<DedupResult> twoToOne = threads.submit(() ->
                    process(dedup, new ConsumerRecord<>("transfers", 1, 9L, "transfer-2", "2->1"), transfer, mode));

            assertThat(oneToTwo.get(WAIT.toSeconds(), TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.PROCESSED);
            assertThat(twoToOne.get(WAIT.toSeconds(), TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.PROCESSED);
            assertThat(meters.get("dedup.transient.retries").counter().count())
                    .as("the database chose one victim, which ran again").isEqualTo(1.0);
            assertThat(count(dataSource, "SELECT COUNT(*) FROM transfer")).isEqualTo(2);
            assertThat(count(dataSource, "SELECT COUNT(*) FROM dedup_record")).isEqualTo(2);
            assertThat(count(dataSource, "SELECT balance FROM account WHERE id = 1")).isEqualTo(100);
            assertThat(count(dataSource, "SELECT balance FROM account WHERE id = 2")).isEqualTo(100);
        } finally {
            threads.shutdownNow();
        }
    }

    private static DedupResult process(Deduplicator deduplicator, ConsumerRecord<String, String> record,
            RecordHandler<String, String> handler, String mode) {
        if (mode.equals("record")) {
            return deduplicator.process(record, handler);
        }
        BatchResult batch = deduplicator.processBatch(List.of(record), handler);
        if (!batch.complete()) {
            throw batch.failure();
        }
        return batch.results().get(0);
    }

    /** Transactions on one fixed connection. */
    private static TransactionRunner onConnection(Connection connection) {
        return new TransactionRunner() {
            @Override
            public <T> T inTransaction(Work<T> work) throws Exception {
                connection.setAutoCommit(false);
                try {
                    T result = work.execute(connection);
                    connection.commit();
                    return result;
                } catch (Exception e) {
                    connection.rollback();
                    throw e;
                } finally {
                    connection.setAutoCommit(true);
                }
            }
        };
    }

    private static long sessionId(TestDatabase database, Connection connection) throws SQLException {
        String sql = database == TestDatabase.postgresql() ? "SELECT pg_backend_pid()" : "SELECT CONNECTION_ID()";
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Whether the session is blocked on a row lock, as the database itself reports it. */
    private static boolean waitsForLock(TestDatabase database, HikariDataSource dataSource, long session) throws SQLException {
        String sql = database == TestDatabase.postgresql()
                ? "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ? AND wait_event_type = 'Lock'"
                : "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = ? AND trx_state = 'LOCK WAIT'";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, session);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) == 1;
            }
        }
    }

    private static void move(Connection connection, int account, long amount) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE account SET balance = balance + ? WHERE id = ?")) {
            update.setLong(1, amount);
            update.setInt(2, account);
            update.executeUpdate();
        }
    }

    private static void insertEffect(Connection connection, String key, String claimant) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO effect (dedup_key, claimant) VALUES (?, ?)")) {
            insert.setString(1, key);
            insert.setString(2, claimant);
            insert.executeUpdate();
        }
    }

    private static void execute(HikariDataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static long count(HikariDataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
