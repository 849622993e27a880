package io.dedupconsumer;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.jdbc.DedupSchema;
import io.dedupconsumer.testkit.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The databases the library's tests run on (for {@code @MethodSource("io.dedupconsumer.Databases#all")} and the like),
 * and, registered with {@code @RegisterExtension}, the pools a test opens, closed after it.
 */
public final class Databases implements AfterEachCallback {

    private final List<HikariDataSource> opened = new ArrayList<>();

    /** Every database and driver the library supports: H2, MariaDB through both MySQL drivers, PostgreSQL. */
    public static Stream<TestDatabase> all() {
        return Stream.of(TestDatabase.h2(), TestDatabase.mariadb(), TestDatabase.mariadbDriver(), TestDatabase.postgresql());
    }

    /** The real servers: MariaDB through both MySQL drivers, PostgreSQL. */
    public static Stream<TestDatabase> servers() {
        return Stream.of(TestDatabase.mariadb(), TestDatabase.mariadbDriver(), TestDatabase.postgresql());
    }

    /** One driver per database, for what no driver changes: H2, MariaDB (MySQL Connector/J), PostgreSQL. */
    public static Stream<TestDatabase> oneDriverEach() {
        return Stream.of(TestDatabase.h2(), TestDatabase.mariadb(), TestDatabase.postgresql());
    }

    /** The real servers, one driver each: MariaDB (MySQL Connector/J), PostgreSQL. */
    public static Stream<TestDatabase> serversOneDriverEach() {
        return Stream.of(TestDatabase.mariadb(), TestDatabase.postgresql());
    }

    /** A fresh database of this kind, closed after the test. */
    public HikariDataSource create(TestDatabase database, String name) {
        HikariDataSource dataSource = database.create(name);
        opened.add(dataSource);
        return dataSource;
    }

    /** A fresh database of this kind with the dedup table migrated, closed after the test. */
    public HikariDataSource migrated(TestDatabase database, String name) {
        HikariDataSource dataSource = create(database, name);
        DedupSchema.migrate(dataSource);
        return dataSource;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        opened.forEach(HikariDataSource::close);
        opened.clear();
    }
}
