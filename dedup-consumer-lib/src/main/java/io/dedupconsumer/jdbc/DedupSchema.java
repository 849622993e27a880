package io.dedupconsumer.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Creates or upgrades the dedup table with Flyway, from the same DDL files a DBA finds in {@code sql/}.
 *
 * <p>The library keeps its own history table ({@value #HISTORY_TABLE}) so that its migrations never collide
 * with the application's own Flyway versions in the same schema. Needs {@code flyway-core} (and
 * {@code flyway-mysql} or {@code flyway-database-postgresql}) on the class path; users who apply the DDL by hand
 * do not need Flyway at all.
 */
public final class DedupSchema {

    /** Flyway's history table for the library's own migrations. */
    public static final String HISTORY_TABLE = "dedup_schema_history";

    private DedupSchema() {
    }

    /**
     * Applies the library's migrations for the database behind {@code dataSource}, detecting its dialect.
     *
     * @return the number of migrations applied now (0 when the table is up to date)
     */
    public static int migrate(DataSource dataSource) {
        Dialect dialect;
        try (Connection connection = dataSource.getConnection()) {
            dialect = Dialect.detect(connection);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reach the database to migrate the dedup table: " + e.getMessage(), e);
        }
        return migrate(dataSource, dialect);
    }

    /** Applies the library's migrations written for {@code dialect}. */
    public static int migrate(DataSource dataSource, Dialect dialect) {
        MigrateResult result = Flyway.configure(DedupSchema.class.getClassLoader())
                .dataSource(dataSource)
                .locations("classpath:db/dedup/" + dialect.folder())
                .table(HISTORY_TABLE)
                // The application's tables may already be there: start the library's own history below V1.
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .load()
                .migrate();
        return result.migrationsExecuted;
    }
}
