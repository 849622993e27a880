package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.Databases;
import io.dedupconsumer.jdbc.DedupTable;
import io.dedupconsumer.testkit.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The claim statements' contract, written once and run against every database the library supports: H2, and the real
 * MariaDB server through both MySQL drivers (MySQL Connector/J and MariaDB Connector/J), and PostgreSQL.
 */
class ClaimStoreContractTests {

    private static final String CONSUMER = "orders";

    @RegisterExtension
    final Databases databases = new Databases();



    static Stream<TestDatabase> mysqlDrivers() {
        return Stream.of(TestDatabase.mariadb(), TestDatabase.mariadbDriver());
    }


    private HikariDataSource migrated(TestDatabase database) {
        return databases.migrated(database, "store");
    }

    private static ClaimRequest request(String key, String payload, long offset) {
        return new ClaimRequest(key, fingerprint(payload), "orders", 3, offset);
    }

    private static byte[] fingerprint(String payload) {
        return Fingerprint.sha256(payload.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void claimOfANewKeyHoldsItAndKeepsWhereTheRecordCameFrom(TestDatabase database) throws SQLException {
        ClaimStore store = new ClaimStore("dedup_record", null);
        try (Connection c = migrated(database).getConnection()) {
            assertThat(store.claim(c, CONSUMER, request("order-1", "a", 42))).isEmpty();
            StoredClaim row = store.find(c, CONSUMER, "order-1").orElseThrow();
            assertThat(row.fingerprint()).isEqualTo(fingerprint("a"));
            assertThat(row.outcome()).isEqualTo(Outcome.PROCESSED);
            assertThat(row.firstDelivery()).isEqualTo("orders-3@42");
            assertThat(store.claims(c)).isInstanceOf(expectedClaims(database));
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void claimOfAHeldKeyReturnsTheFirstClaimAndLeavesTheTransactionUsable(TestDatabase database) throws SQLException {
        HikariDataSource dataSource = migrated(database);
        ClaimStore store = new ClaimStore("dedup_record", null);
        try (Connection c = dataSource.getConnection()) {
            store.claim(c, CONSUMER, request("order-1", "a", 1));
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            Optional<StoredClaim> holder = store.claim(c, CONSUMER, request("order-1", "b", 2));
            assertThat(holder).get().extracting(StoredClaim::firstDelivery).isEqualTo("orders-3@1");
            // On PostgreSQL a caught unique violation would have aborted the transaction; the claim must not.
            assertThat(store.claim(c, CONSUMER, request("order-2", "b", 2))).isEmpty();
            c.commit();
        }
        assertThat(count(dataSource)).isEqualTo(2);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void sameKeyUnderAnotherConsumerIsAnotherClaim(TestDatabase database) throws SQLException {
        ClaimStore store = new ClaimStore("dedup_record", null);
        try (Connection c = migrated(database).getConnection()) {
            assertThat(store.claim(c, "inventory", request("event-1", "a", 1))).isEmpty();
            assertThat(store.claim(c, "billing", request("event-1", "a", 1))).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void keysDifferingOnlyInCaseOrAccentsAreDistinct(TestDatabase database) throws SQLException {
        ClaimStore store = new ClaimStore("dedup_record", null);
        try (Connection c = migrated(database).getConnection()) {
            assertThat(store.claim(c, CONSUMER, request("order-a", "x", 1))).isEmpty();
            assertThat(store.claim(c, CONSUMER, request("order-A", "x", 2))).isEmpty();
            assertThat(store.claim(c, CONSUMER, request("order-á", "x", 3))).isEmpty();
            assertThat(store.claim(c, CONSUMER, request("order-a ", "x", 4))).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void rollbackReleasesTheClaim(TestDatabase database) throws SQLException {
        HikariDataSource dataSource = migrated(database);
        ClaimStore store = new ClaimStore("dedup_record", null);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            store.claim(c, CONSUMER, request("order-1", "a", 1));
            c.rollback();
            assertThat(store.claim(c, CONSUMER, request("order-1", "a", 1))).isEmpty();
            c.commit();
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void claimAllReportsExactlyTheKeysAlreadyHeldAcrossChunks(TestDatabase database) throws SQLException {
        HikariDataSource dataSource = migrated(database);
        ClaimStore store = new ClaimStore("dedup_record", null);
        List<ClaimRequest> earlier = new ArrayList<>();
        List<ClaimRequest> batch = new ArrayList<>();
        for (int i = 0; i < 1_200; i++) {
            ClaimRequest r = request("event-" + i, "payload-" + i, i);
            batch.add(r);
            if (i % 7 == 0) {
                earlier.add(r);
            }
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            assertThat(store.claimAll(c, CONSUMER, earlier)).isEmpty();
            c.commit();
            Map<String, StoredClaim> held = store.claimAll(c, CONSUMER, batch);
            c.commit();
            assertThat(held.keySet()).containsExactlyInAnyOrderElementsOf(earlier.stream().map(ClaimRequest::dedupKey).toList());
            assertThat(held.get("event-700").fingerprint()).isEqualTo(fingerprint("payload-700"));
        }
        assertThat(count(dataSource)).isEqualTo(1_200);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aBatchMeetingAHeldKeyAfterDuplicateFreeBatchesClaimsTheRestInTheSameTransaction(TestDatabase database)
            throws SQLException {
        HikariDataSource dataSource = migrated(database);
        ClaimStore store = new ClaimStore("dedup_record", null);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            assertThat(store.claimAll(c, CONSUMER, List.of(request("a", "a", 1), request("b", "b", 2)))).isEmpty();
            c.commit();
            assertThat(store.claimAll(c, CONSUMER, List.of(request("c", "c", 3)))).isEmpty();
            c.commit();
            // "b" is held and sorts after "a1" and "a2": on H2 the optimistic multi-row insert fails as a whole,
            // inserting neither "a1" nor "a2" (else the look-up would report them held), and the claim goes on.
            Map<String, StoredClaim> held = store.claimAll(c, CONSUMER,
                    List.of(request("b", "b", 2), request("a2", "a2", 5), request("a1", "a1", 4)));
            c.commit();
            assertThat(held.keySet()).containsExactly("b");
            assertThat(held.get("b").offset()).isEqualTo(2);
            assertThat(store.claimAll(c, CONSUMER, List.of(request("f", "f", 6)))).isEmpty();
            c.commit();
        }
        assertThat(count(dataSource)).isEqualTo(6);
    }

    @Test
    void onPostgreSqlTheKeyColumnsAreOrderedByteForByteNotByTheServersLocale() throws SQLException {
        HikariDataSource dataSource = migrated(TestDatabase.postgresql());
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT column_name, collation_name FROM information_schema.columns "
                        + "WHERE table_schema = current_schema() AND table_name = 'dedup_record' "
                        + "AND column_name IN ('consumer_name', 'dedup_key') ORDER BY column_name")) {
            Map<String, String> collations = new HashMap<>();
            while (rs.next()) {
                collations.put(rs.getString(1), rs.getString(2));
            }
            assertThat(collations).containsOnly(Map.entry("consumer_name", "C"), Map.entry("dedup_key", "C"));
        }
    }

    /**
     * MariaDB Connector/J logs every error the server sends, with its text (the key): through it a duplicate is found by
     * a look-up, and a claim INSERTs only keys that look fresh (it can fail only when another transaction races it).
     */
    @Test
    void throughMariaDbConnectorJAClaimLooksUpFirstSoAHeldKeyFailsNoStatement() throws SQLException {
        TestDatabase database = TestDatabase.mariadbDriver();
        HikariDataSource dataSource = migrated(database);
        ClaimStore store = new ClaimStore("dedup_record", null);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            List<ClaimRequest> first = new ArrayList<>();
            for (int i = 0; i < 600; i++) {
                first.add(request("event-" + i, "p", i));
            }
            assertThat(statementsRunBy(c, () -> store.claimAll(c, CONSUMER, first)))
                    .as("two chunks, a look-up and an INSERT each").isEqualTo(new Counted(2, 2));
            c.commit();
            List<ClaimRequest> withHeldKey = List.of(request("event-7", "p", 7), request("event-600", "p", 600));
            assertThat(statementsRunBy(c, () -> assertThat(store.claimAll(c, CONSUMER, withHeldKey))
                    .containsOnlyKeys("event-7")))
                    .as("the look-up, the INSERT of the fresh key").isEqualTo(new Counted(1, 1));
            c.commit();
            assertThat(statementsRunBy(c, () -> assertThat(store.claim(c, CONSUMER, request("event-8", "p", 8)))
                    .isPresent()))
                    .as("a held key: the look-up only").isEqualTo(new Counted(0, 1));
            assertThat(statementsRunBy(c, () -> assertThat(store.claim(c, CONSUMER, request("event-601", "p", 601)))
                    .isEmpty()))
                    .as("a fresh key: the look-up and the INSERT").isEqualTo(new Counted(1, 1));
            c.commit();
        }
        assertThat(count(dataSource)).isEqualTo(602);
    }

    /** MySQL Connector/J logs nothing for a provoked duplicate: a new key, the common case, stays one statement. */
    @Test
    void throughMySqlConnectorJAFreshKeyIsOneInsertAndNothingElse() throws SQLException {
        HikariDataSource dataSource = migrated(TestDatabase.mariadb());
        ClaimStore store = new ClaimStore("dedup_record", null);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            assertThat(statementsRunBy(c, () -> assertThat(store.claim(c, CONSUMER, request("event-1", "p", 1)))
                    .isEmpty())).isEqualTo(new Counted(1, 0));
            List<ClaimRequest> fresh = new ArrayList<>();
            for (int i = 2; i < 602; i++) {
                fresh.add(request("event-" + i, "p", i));
            }
            assertThat(statementsRunBy(c, () -> store.claimAll(c, CONSUMER, fresh)))
                    .as("two chunks, one multi-row INSERT each").isEqualTo(new Counted(2, 0));
            c.commit();
        }
        assertThat(count(dataSource)).isEqualTo(601);
    }

    /** INSERT and SELECT statements the server counted in one session. */
    private record Counted(long inserts, long selects) {
    }

    /** The server's own per-session counters of INSERT and SELECT statements run by {@code work}. */
    private static Counted statementsRunBy(Connection c, SqlWork work) throws SQLException {
        Map<String, Long> before = sessionCounters(c);
        work.run();
        Map<String, Long> after = sessionCounters(c);
        return new Counted(after.get("Com_insert") - before.get("Com_insert"),
                after.get("Com_select") - before.get("Com_select"));
    }

    private static Map<String, Long> sessionCounters(Connection c) throws SQLException {
        Map<String, Long> counters = new HashMap<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW SESSION STATUS WHERE Variable_name IN ('Com_insert', 'Com_select')")) {
            while (rs.next()) {
                counters.put(rs.getString(1), rs.getLong(2));
            }
        }
        return counters;
    }

    private interface SqlWork {
        void run() throws SQLException;
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void markRejectedKeepsTheOutcomeAndAShortenedReason(TestDatabase database) throws SQLException {
        ClaimStore store = new ClaimStore("dedup_record", null);
        try (Connection c = migrated(database).getConnection()) {
            store.claim(c, CONSUMER, request("order-1", "a", 1));
            store.markRejected(c, CONSUMER, "order-1", "x".repeat(2_000));
            assertThat(store.find(c, CONSUMER, "order-1").orElseThrow().outcome()).isEqualTo(Outcome.REJECTED);
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT reason FROM dedup_record")) {
                rs.next();
                assertThat(rs.getString(1)).hasSize(DedupTable.MAX_REASON_LENGTH).endsWith("…");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#servers")
    void aConcurrentClaimOfTheSameKeyWaitsForTheFirstTransactionThenSeesItsRow(TestDatabase database) throws Exception {
        HikariDataSource dataSource = migrated(database);
        ClaimStore store = new ClaimStore("dedup_record", null);
        try (Connection first = dataSource.getConnection(); Connection second = dataSource.getConnection()) {
            first.setAutoCommit(false);
            second.setAutoCommit(false);
            assertThat(store.claim(first, CONSUMER, request("order-1", "a", 1))).isEmpty();
            CompletableFuture<Optional<StoredClaim>> late = claimInBackground(store, second, request("order-1", "a", 2));
            // The unique index is the lock: the second claim cannot finish while the first transaction is open.
            assertThat(waitsAtLeast(late, 500)).isTrue();
            first.commit();
            assertThat(late.get(10, TimeUnit.SECONDS)).get().extracting(StoredClaim::firstDelivery).isEqualTo("orders-3@1");
        }
        assertThat(count(dataSource)).isEqualTo(1);
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#servers")
    void aConcurrentClaimGetsTheKeyWhenTheFirstTransactionRollsBack(TestDatabase database) throws Exception {
        HikariDataSource dataSource = migrated(database);
        ClaimStore store = new ClaimStore("dedup_record", null);
        try (Connection first = dataSource.getConnection(); Connection second = dataSource.getConnection()) {
            first.setAutoCommit(false);
            second.setAutoCommit(false);
            store.claim(first, CONSUMER, request("order-1", "a", 1));
            CompletableFuture<Optional<StoredClaim>> late = claimInBackground(store, second, request("order-1", "a", 2));
            assertThat(waitsAtLeast(late, 300)).isTrue();
            first.rollback();
            assertThat(late.get(10, TimeUnit.SECONDS)).isEmpty();
            assertThat(store.find(second, CONSUMER, "order-1").orElseThrow().firstDelivery()).isEqualTo("orders-3@2");
        }
    }

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.Databases#all")
    void aBatchLosingARaceAfterItsSnapshotIsToldToRetryOrClaimRecordByRecord(TestDatabase database) throws Exception {
        HikariDataSource dataSource = migrated(database);
        ClaimStore store = new ClaimStore("dedup_record", null);
        // The race, made deterministic: the batch's snapshot is taken before another consumer commits the key, so
        // the batch's look-up misses the row and its insert then hits the unique index.
        try (Connection batch = dataSource.getConnection(); Connection other = dataSource.getConnection()) {
            batch.setAutoCommit(false);
            batch.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (PreparedStatement snapshot = batch.prepareStatement("SELECT COUNT(*) FROM dedup_record")) {
                snapshot.executeQuery().close();
            }
            store.claim(other, CONSUMER, request("event-2", "b", 2));
            List<ClaimRequest> requests = List.of(request("event-1", "a", 1), request("event-2", "b", 2));
            if (store.claims(batch) instanceof PostgreSqlClaims) {
                // One statement claims and looks up; the snapshot conflict is a serialization failure (retried).
                assertThatThrownBy(() -> store.claimAll(batch, CONSUMER, requests))
                        .isInstanceOf(SQLException.class).extracting(e -> ((SQLException) e).getSQLState())
                        .isEqualTo("40001");
            } else {
                assertThatThrownBy(() -> store.claimAll(batch, CONSUMER, requests))
                        .isInstanceOf(ConcurrentClaimException.class);
            }
            batch.rollback();
        }
    }

    @Test
    void aTableNameThatIsNotAnIdentifierIsRefusedNamingTheSetting() {
        for (String bad : List.of("dedup;drop table x", "dedup record", "1dedup", "a.b.c", "", "dedup`")) {
            assertThatThrownBy(() -> new ClaimStore(bad, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("table:");
        }
        assertThat(new ClaimStore("app.dedup_record", null).table()).isEqualTo("app.dedup_record");
    }

    /** Claims on another thread and commits, so that the caller can watch it wait for the unique index. */
    private static CompletableFuture<Optional<StoredClaim>> claimInBackground(ClaimStore store, Connection connection,
            ClaimRequest request) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                Optional<StoredClaim> holder = store.claim(connection, CONSUMER, request);
                connection.commit();
                return holder;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static boolean waitsAtLeast(CompletableFuture<?> future, long millis) {
        try {
            future.get(millis, TimeUnit.MILLISECONDS);
            return false;
        } catch (TimeoutException stillWaiting) {
            return true;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Class<? extends DatabaseClaims> expectedClaims(TestDatabase database) {
        return switch (database.name()) {
            case "mariadb", "mariadb-mariadb-java-client" -> MySqlClaims.class;
            case "postgresql" -> PostgreSqlClaims.class;
            default -> H2Claims.class;
        };
    }

    private static long count(HikariDataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM dedup_record")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
