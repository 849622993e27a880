package io.dedupconsumer.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TestDatabaseTests {

    static Stream<TestDatabase> allDatabases() {
        return Stream.of(TestDatabase.mariadb(), TestDatabase.mariadbDriver(), TestDatabase.postgresql(),
                TestDatabase.h2());
    }

    static Stream<TestDatabase> servers() {
        return Stream.of(TestDatabase.mariadb(), TestDatabase.mariadbDriver(), TestDatabase.postgresql());
    }

    @ParameterizedTest
    @MethodSource("allDatabases")
    void twoCreateCallsGiveIsolatedDatabases(TestDatabase db) throws SQLException {
        try (HikariDataSource first = db.create("isolation"); HikariDataSource second = db.create("isolation")) {
            execute(first, "CREATE TABLE item (k VARCHAR(20) PRIMARY KEY)");
            execute(first, "INSERT INTO item (k) VALUES ('first')");

            assertThatThrownBy(() -> query(second, "SELECT k FROM item")).isInstanceOf(SQLException.class);

            execute(second, "CREATE TABLE item (k VARCHAR(20) PRIMARY KEY)");
            execute(second, "INSERT INTO item (k) VALUES ('second')");
            assertThat(query(first, "SELECT k FROM item")).containsExactly("first");
            assertThat(query(second, "SELECT k FROM item")).containsExactly("second");
        }
    }

    @ParameterizedTest
    @MethodSource("allDatabases")
    void createdDatabaseIsEmptyAndUniquelyNamed(TestDatabase db) {
        String one = db.createDatabase("Some Test-Name");
        String two = db.createDatabase("Some Test-Name");

        assertThat(one).startsWith("some_test_name_").isNotEqualTo(two);
        assertThat(db.jdbcUrl(one)).contains(one);
    }

    @ParameterizedTest
    @MethodSource("servers")
    void proxiedPoolReachesTheSameDatabaseAndFailsFastWhenCut(TestDatabase db) throws SQLException {
        String name = db.createDatabase("proxied");
        try (TcpProxy proxy = TcpProxy.start(db.host(), db.port());
                HikariDataSource direct = db.dataSource(name);
                HikariDataSource proxied = db.dataSource(name, proxy.port())) {
            assertThat(proxied.getJdbcUrl()).contains("127.0.0.1:" + proxy.port());
            execute(direct, "CREATE TABLE item (k VARCHAR(20) PRIMARY KEY)");
            execute(direct, "INSERT INTO item (k) VALUES ('seen')");
            assertThat(query(proxied, "SELECT k FROM item")).containsExactly("seen");

            proxy.cut();

            assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> assertThatThrownBy(() -> query(proxied, "SELECT k FROM item"))
                            .isInstanceOf(SQLException.class));
            assertThat(query(direct, "SELECT k FROM item")).containsExactly("seen");

            proxy.restore();

            await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                    .untilAsserted(() -> assertThat(query(proxied, "SELECT k FROM item")).containsExactly("seen"));
        }
    }

    @Test
    void createThroughProxyMakesAFreshDatabase() throws SQLException {
        TestDatabase db = TestDatabase.mariadb();
        try (TcpProxy proxy = TcpProxy.start(db.host(), db.port());
                HikariDataSource proxied = db.create("fresh_proxied", proxy.port())) {
            assertThat(query(proxied, "SELECT DATABASE()")).singleElement().asString().startsWith("fresh_proxied_");
            assertThat(query(proxied, "SELECT table_name FROM information_schema.tables"
                    + " WHERE table_schema = DATABASE()")).isEmpty();
        }
    }

    @Test
    void namesReadWellInParameterizedTests() {
        assertThat(allDatabases().map(TestDatabase::toString))
                .containsExactly("mariadb", "mariadb-mariadb-java-client", "postgresql", "h2");
        assertThat(allDatabases().map(TestDatabase::name))
                .containsExactly("mariadb", "mariadb-mariadb-java-client", "postgresql", "h2");
    }

    @Test
    void theMariaDbServerIsReachedThroughEitherMySqlDriver() throws SQLException {
        try (HikariDataSource viaMySqlDriver = TestDatabase.mariadb().create("driver");
                HikariDataSource viaMariaDbDriver = TestDatabase.mariadbDriver().create("driver");
                Connection mysql = viaMySqlDriver.getConnection();
                Connection mariadb = viaMariaDbDriver.getConnection()) {
            assertThat(mysql.getMetaData().getDriverName()).isEqualTo("MySQL Connector/J");
            assertThat(mysql.getMetaData().getDatabaseProductName()).isEqualTo("MySQL");
            assertThat(mariadb.getMetaData().getDriverName()).isEqualTo("MariaDB Connector/J");
            assertThat(mariadb.getMetaData().getDatabaseProductName()).isEqualTo("MariaDB");
            assertThat(viaMariaDbDriver.getJdbcUrl()).startsWith("jdbc:mariadb://");
        }
    }

    @Test
    void h2HasNoServerToProxy() {
        assertThatThrownBy(() -> TestDatabase.h2().port()).isInstanceOf(UnsupportedOperationException.class);
    }

    private static void execute(DataSource dataSource, String sql) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static List<String> query(DataSource dataSource, String sql) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (rows.next()) {
                values.add(rows.getString(1));
            }
            return values;
        }
    }
}
