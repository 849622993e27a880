package io.dedupconsumer.contract;

import com.zaxxer.hikari.HikariDataSource;
import io.dedupconsumer.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;

/**
 * A mistake the contract must catch: a dedup table as a DBA might write it by hand, with a VARCHAR key in
 * MariaDB's case-insensitive default collation.
 * Run only by {@link ContractsCatchBrokenImplementationsTests}; Surefire does not pick it up by its name.
 */
class CaseInsensitiveDedupTable extends DeduplicatorContract {

    private static final HikariDataSource DATABASE = TestDatabase.mariadb().create("contract_ci");

    @Override
    protected DataSource dataSource() {
        return DATABASE;
    }

    @Override
    protected void createDedupTable(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS dedup_record (consumer_name VARCHAR(100) NOT NULL, "
                    + "dedup_key VARCHAR(255) NOT NULL, fingerprint VARBINARY(32) NOT NULL, outcome VARCHAR(16) NOT "
                    + "NULL, reason VARCHAR(500) NULL, source_topic VARCHAR(249) NOT NULL, source_partition INT NOT "
                    + "NULL, source_offset BIGINT NOT NULL, processed_at DATETIME(3) NOT NULL, "
                    + "PRIMARY KEY (consumer_name, dedup_key)) CHARSET = utf8mb4 COLLATE = utf8mb4_general_ci");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void close() {
        DATABASE.close();
    }
}
